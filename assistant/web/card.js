/* The assessment card (docs/interfaces.md §2), shared by the residents' chat and the hotline console.
 * Every text is set with textContent: nothing received from the server is ever parsed as HTML. */
(function (global) {
  "use strict";

  var STATUS_FALLBACK = {eligible: "符合", not_eligible: "暂不符合", undetermined: "尚不能确定", not_applicable: "不适用"};
  var RESULTS = {
    met: {icon: "✓", label: "已满足"},
    not_met: {icon: "✗", label: "未满足"},
    unknown: {icon: "?", label: "尚不确定"}
  };
  var ORDER = {eligible: 0, undetermined: 1, not_eligible: 2, not_applicable: 3};
  // Names of the card's parts for screen readers ("{name}" is the channel's name).
  var PARTS = {criteria: "{name}的条件", gaps: "{name}怎样可以满足"};
  var ids = 0;

  function newId(prefix) {
    ids += 1;
    return "luohu-" + prefix + "-" + ids;
  }

  /* Names a part of the card by its visible headings (the title, and the date line of a card). */
  function labelledBy(part) {
    var heads = Array.prototype.slice.call(arguments, 1).filter(Boolean);
    part.setAttribute("aria-labelledby", heads.map(function (head) {
      head.id = head.id || newId("head");
      return head.id;
    }).join(" "));
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function shortTitle(doc) {
    var i = String(doc || "").indexOf("》");
    return i >= 0 ? doc.slice(0, i + 1) : String(doc || "");
  }

  function unverifiedMark(terms) {
    var mark = el("span", "badge badge-unverified", "尚待官方核实");
    mark.title = (terms && terms.unverified) || "该项分值/条件尚待官方核实";
    return mark;
  }

  /* A list (notes, gaps, the points' items): a line per entry, `text(entry)`, with the unverified mark where the
   * entry's value is not verified. */
  function markedList(cls, entries, text, terms) {
    var list = el("ul", cls);
    entries.forEach(function (entry) {
      var li = el("li", "", text(entry));
      if (entry.verified === false) li.appendChild(unverifiedMark(terms));
      list.appendChild(li);
    });
    return list;
  }

  function textOf(entry) { return entry.text; }

  /* "依据：《文件》条款 · 2024-01-01起施行" and the unverified mark. */
  function citation(source, verified, terms) {
    var line = el("div", "citation");
    if (!source) return line;
    line.appendChild(el("span", "citation-label", "依据："));
    line.appendChild(el("span", "citation-doc", shortTitle(source.document)));
    line.title = source.document || "";
    line.appendChild(el("span", "citation-article", source.article || ""));
    if (source.effective_from) line.appendChild(el("span", "citation-date", source.effective_from + "起施行"));
    if (verified === false) line.appendChild(unverifiedMark(terms));
    return line;
  }

  /* The name of the deciding route, as the rule data names it; never a raw id. */
  function routeName(channel) {
    if (!channel.route) return "";
    for (var i = 0; i < channel.criteria.length; i++) {
      var c = channel.criteria[i];
      if (c.route === channel.route && c.route_name) return c.route_name;
    }
    return "";
  }

  /* The criteria that decided the channel: those of the deciding route (and the common ones). */
  function decidingCriteria(channel) {
    if (!channel.route) return channel.criteria;
    return channel.criteria.filter(function (c) { return !c.route || c.route === channel.route; });
  }

  function labels(fields, terms) {
    var names = (terms && terms.fields) || {};
    return fields.map(function (f) { return names[f] || f; }).join("、");
  }

  function statusChip(status, terms) {
    var names = (terms && terms.statuses) || STATUS_FALLBACK;
    return el("span", "chip status-" + status, names[status] || STATUS_FALLBACK[status] || status);
  }

  function channelBlock(channel, open, terms) {
    var box = el("details", "channel status-" + channel.status);
    box.open = !!open;
    box.setAttribute("data-channel", channel.id);
    var summary = el("summary", "channel-head");
    summary.appendChild(el("span", "channel-name", channel.name));
    summary.appendChild(statusChip(channel.status, terms));
    var route = routeName(channel);
    if (route) summary.appendChild(el("span", "channel-route", "途径：" + route));
    box.appendChild(summary);

    var list = el("ul", "criteria");
    list.setAttribute("aria-label", PARTS.criteria.replace("{name}", channel.name));
    decidingCriteria(channel).forEach(function (c) {
      var result = RESULTS[c.result] || RESULTS.unknown;
      var item = el("li", "criterion result-" + c.result);
      var icon = el("span", "criterion-icon", result.icon);
      icon.title = result.label;
      icon.setAttribute("role", "img");  // read as its label (已满足 …), not as "✓"
      icon.setAttribute("aria-label", result.label);
      item.appendChild(icon);
      var body = el("div", "criterion-body");
      body.appendChild(el("div", "criterion-text", c.text));
      if (c.detail) body.appendChild(el("div", "criterion-detail", c.detail));
      body.appendChild(citation(c.source, c.verified, terms));
      item.appendChild(body);
      list.appendChild(item);
    });
    box.appendChild(list);

    if (channel.notes && channel.notes.length) {
      box.appendChild(markedList("notes", channel.notes, textOf, terms));
    }
    if (channel.gaps && channel.gaps.length) {
      box.appendChild(el("div", "subhead", "怎样可以满足："));
      var gaps = markedList("gaps", channel.gaps, textOf, terms);
      gaps.setAttribute("aria-label", PARTS.gaps.replace("{name}", channel.name));
      box.appendChild(gaps);
    }
    if (channel.missing && channel.missing.length) {
      box.appendChild(el("div", "missing", "还需了解：" + labels(channel.missing.slice(0, 5), terms)));
    }
    return box;
  }

  function pointsBlock(points, terms) {
    var box = el("div", "points");
    var head = el("div", "subhead", "积分落户 · 积分");
    box.appendChild(head);
    box.setAttribute("role", "group");
    labelledBy(box, head);
    var line = points.line || 0;
    var known = points.known || 0;
    var bar = el("div", "points-bar");
    bar.setAttribute("role", "meter");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", String(line));
    bar.setAttribute("aria-valuenow", String(known));
    bar.setAttribute("aria-label", "已知积分");
    var fill = el("div", "points-fill" + (points.gap_points === 0 ? " enough" : ""));
    fill.style.width = (line > 0 ? Math.min(100, Math.round(known * 100 / line)) : 0) + "%";
    bar.appendChild(fill);
    box.appendChild(bar);
    var figures = el("div", "points-figures");
    figures.appendChild(el("span", "points-known", "已知 " + known + " 分"));
    figures.appendChild(el("span", "points-line", "分值线 " + line + " 分"));
    figures.appendChild(el("span", "points-gap" + (points.gap_points === 0 ? " enough" : ""),
      points.gap_points === 0 ? "已达分值线" : "还差 " + points.gap_points + " 分"));
    box.appendChild(figures);
    if (points.items && points.items.length) {
      box.appendChild(markedList("points-items", points.items, function (i) {
        return (i.label || i.item) + " " + i.points + " 分";
      }, terms));
    }
    if (points.unscored_labels && points.unscored_labels.length) {
      box.appendChild(el("div", "points-unscored", "分值未公布、未计入：" + points.unscored_labels.join("、")));
    }
    return box;
  }

  /* The card for an assessment. opts: {terms: {fields, statuses, unverified}, explanation: text} */
  function render(a, opts) {
    opts = opts || {};
    var terms = opts.terms || {};
    var card = el("section", "card assessment-card");
    card.setAttribute("data-kind", "assessment");
    card.appendChild(el("h3", "card-title", a.hypothetical ? "假设情况下的评估结果" : "落户评估结果"));
    var area = (a.area && a.area.name) || "尚未确定";
    card.appendChild(el("div", "card-meta", "按 " + a.as_of + " 当日有效的规则 · 拟落户地：" + area));

    var byId = {};
    a.channels.forEach(function (c) { byId[c.id] = c; });
    var summary = el("div", "card-summary");
    if (a.recommended && a.recommended.length) {
      summary.appendChild(el("span", "summary-label", "推荐渠道："));
      summary.appendChild(el("strong", "", a.recommended.map(function (id) {
        var c = byId[id];
        var r = c ? routeName(c) : "";
        return c ? c.name + (r ? "（" + r + "）" : "") : id;
      }).join("、")));
    } else {
      summary.textContent = "目前还没有确定可以落户的渠道";
      summary.className += " none";
    }
    card.appendChild(summary);

    var channels = a.channels.slice().sort(function (x, y) {
      var rx = a.recommended.indexOf(x.id), ry = a.recommended.indexOf(y.id);
      if ((rx >= 0) !== (ry >= 0)) return rx >= 0 ? -1 : 1;
      return (ORDER[x.status] - ORDER[y.status]) || (rx - ry);
    });
    var list = el("div", "channels");
    channels.forEach(function (c) {
      var open = opts.openAll || a.recommended.indexOf(c.id) >= 0 ||
        (!a.recommended.length && c.status === "eligible");
      list.appendChild(channelBlock(c, open, terms));
    });
    card.appendChild(list);

    if (a.points && byId.points && byId.points.status !== "not_applicable") {
      card.appendChild(pointsBlock(a.points, terms));
    }
    if (a.missing && a.missing.length) {
      card.appendChild(el("div", "missing", "补充这些信息结果会更准确：" + labels(a.missing.slice(0, 6), terms)));
    }
    if (opts.explanation) {
      var more = el("details", "explanation");
      more.appendChild(el("summary", "", "查看完整文字说明"));
      more.appendChild(el("div", "plain-text", opts.explanation));
      card.appendChild(more);
    }
    card.appendChild(el("p", "disclaimer", a.disclaimer || terms.disclaimer || ""));
    // a region named by its title and date, so that two cards on a page have different names
    labelledBy(card, card.querySelector(".card-title"), card.querySelector(".card-meta"));
    return card;
  }

  global.LuohuCard = {render: render, el: el, citation: citation, unverifiedMark: unverifiedMark,
                      statusChip: statusChip};
})(window);
