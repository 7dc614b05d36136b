"""Accessibility checks for the browser tests: axe-core (WCAG 2.2 A/AA rules) on a Playwright page.

axe-core is an npm package pinned in tests/a11y/package.json, installed by `make browser` for the test only
(it is never served to residents). The page's context must be made with bypass_csp=True: axe is injected as
a script tag, which the pages' Content-Security-Policy (script-src 'self') would refuse.

Use: `assert_accessible(page, "chat, phone")` after the page shows what is to be checked (the review page of
the console, or any other page, is checked the same way)."""
from __future__ import annotations

from typing import Any

from tests.support.servers import ROOT

AXE = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
# The rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices (reported, not blocking).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
BLOCKING = ("serious", "critical")

_RUN = """async ([kind, values]) => {
  const result = await axe.run(document, {runOnly: {type: kind, values: values}, resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, tags: v.tags,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary || ""}))
  }));
}"""


def axe_violations(page: Any, label: str, rules: list[str] | None = None) -> list[dict]:
    """Runs axe-core on the page as it is now (the WCAG 2.2 A/AA rules, or only `rules`); prints every
    violation (id, impact, nodes) and returns them."""
    assert AXE.exists(), f"{AXE} is missing: run `make browser` (npm ci in tests/a11y)"
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    violations = page.evaluate(_RUN, ["rule", rules] if rules else ["tag", TAGS])
    serious = sum(v["impact"] in BLOCKING for v in violations)
    print(f"\naxe [{label}]: {len(violations)} violations, {serious} serious or critical")
    for v in violations:
        print(f"  {v['impact']:<9} {v['id']}: {v['help']} ({len(v['nodes'])} nodes)")
        for node in v["nodes"][:8]:
            print(f"      {node['target']}")
        if len(v["nodes"]) > 8:
            print(f"      … and {len(v['nodes']) - 8} more")
    return violations


def assert_accessible(page: Any, label: str) -> list[dict]:
    """axe-core finds no serious or critical violation on the page; returns every violation found."""
    violations = axe_violations(page, label)
    blocking = [f"{v['impact']} {v['id']}: {[n['target'] for n in v['nodes']]}" for v in violations
                if v["impact"] in BLOCKING]
    assert not blocking, f"axe [{label}]: " + "; ".join(blocking)
    return violations
