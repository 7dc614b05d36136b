"""Custom Rasa 3.6 graph components: text normalisation, English terms read in Chinese, the spaCy gazetteer and
the fact extractor.

They adapt assistant/understanding/parsing.py, assistant/understanding/gazetteer.py and assistant/understanding/facts.py to Rasa; the logic lives there.
"""
from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.understanding import cues, facts, gazetteer, retrieval
from assistant.understanding.parsing import normalize

logger = logging.getLogger(__name__)


def _same_length_normalize(text: str) -> str:
    """Traditional -> simplified and full-width -> half-width, only where that keeps every offset."""
    out = normalize(text)
    return out if len(out) == len(text) else text


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class ChineseNormalizer(GraphComponent):
    """Runs before the tokenizer: "２８歲" becomes "28岁" so that jieba, the features and the extractors
    see one spelling. Offsets stay valid because the conversion maps character to character."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ChineseNormalizer:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            if isinstance(example.get(TEXT), str):
                example.set(TEXT, _same_length_normalize(example.get(TEXT)))
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if isinstance(message.get(TEXT), str):
                message.set(TEXT, _same_length_normalize(message.get(TEXT)))
        return messages


_ORIGINAL = "original_text"


def _translate(message: Message) -> None:
    text = message.get(TEXT)
    if isinstance(text, str):
        translated = cues.without_opener(retrieval.in_chinese(text))
        if translated != text:
            message.set(_ORIGINAL, text)
            message.set(TEXT, translated)


def _restore(message: Message) -> None:
    original = message.get(_ORIGINAL)
    if isinstance(original, str):
        message.set(TEXT, original)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class EnglishTermTranslator(GraphComponent):
    """Runs after the entity extractors and before the tokenizer: an English message's terms become the Chinese
    words of the FAQ phrasings (cues.yml's english_terms, `retrieval.in_chinese`), so that the features, the
    intent classifier and the response selector read "how to 落户 after 购房" as the Chinese phrasings say it;
    and an opener is left out ("对了，居住证怎么办理？" is read as "居住证怎么办理？", not as a yes to "对").
    The extractors have read the message as typed; `OriginalTextRestorer` gives it back its text at the end."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> EnglishTermTranslator:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            _translate(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            _translate(message)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class OriginalTextRestorer(GraphComponent):
    """The last step: a message translated by `EnglishTermTranslator` gets its text as typed back, so the parse
    data, the tracker and the action see what the person wrote."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> OriginalTextRestorer:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            _restore(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            _restore(message)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class GazetteerEntityExtractor(GraphComponent, EntityExtractorMixin):
    """spaCy (blank zh, jieba segmenter) with an EntityRuler built from terms.yml at training time and
    stored in the model, so a model always carries the gazetteer it was trained with."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"dictionary_path": "data/jieba"}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 nlp: Any = None) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._nlp = nlp

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GazetteerEntityExtractor:
        return cls(config, model_storage, resource)

    def _userdict(self) -> Path | None:
        files = sorted(Path(self._config["dictionary_path"]).glob("*.txt"))
        return files[0] if files else None

    def train(self, training_data: TrainingData) -> Resource:
        userdict = self._userdict()
        self._nlp = gazetteer.build(userdict)
        with self._model_storage.write_to(self._resource) as directory:
            self._nlp.to_disk(directory / "spacy")
            if userdict is not None:
                shutil.copy(userdict, directory / "userdict.txt")
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> GazetteerEntityExtractor:
        import jieba
        import spacy

        with model_storage.read_from(resource) as directory:
            if (directory / "userdict.txt").exists():
                jieba.load_userdict(str(directory / "userdict.txt"))
            nlp = spacy.load(directory / "spacy")
        return cls(config, model_storage, resource, nlp)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text or self._nlp is None:
                continue
            found = self.add_extractor_name(
                [{k: v for k, v in e.items() if k != "text"} for e in gazetteer.entities(self._nlp, text)])
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class FactEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Numbers, durations and stated facts ("社保交了两年多了" -> social_insurance_months 24) as entities,
    from assistant/understanding/facts.py. Not trained: the patterns are data in assistant/understanding/facts.yml."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> FactEntityExtractor:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            found = self.add_extractor_name(facts.fact_spans(text))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
