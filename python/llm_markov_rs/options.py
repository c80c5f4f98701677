"""The models' options, as ``llm models --options`` shows them."""

# No ``from __future__ import annotations`` here: pydantic would then compile
# each field's annotation from its string when the classes are made, a
# fifth of this module's import, which every prompt pays.

import math
from typing import Any

import llm
from pydantic import (
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from llm_markov_rs.errors import MarkovError
from llm_markov_rs.token_modes import TOKENS_HELP

#: Seeds are 64-bit: the Rust generator takes a u64.
MAX_SEED = 2**64 - 1
#: How many words a walk has when ``length`` is not given.
DEFAULT_LENGTH = 20
#: The cap on words when ``sentences`` is given and ``length`` is not:
#: generous, so that a sentence of ordinary text is not cut short.
SENTENCES_LENGTH = 1000
#: Walks are counted in u64; nobody reads this many words.
MAX_LENGTH = 2**63 - 1
MAX_DELAY = 10.0
#: The bound on copies in sentences mode when ``max_copy`` is not given:
#: markovify's ``max_overlap_total``.
SENTENCES_MAX_COPY = 15
#: Above any useful bound; it keeps the value a machine integer.
MAX_MAX_COPY = 2**32
#: The overlap ratio in sentences mode when ``max_copy_ratio`` is not given:
#: markovify's ``max_overlap_ratio``.
SENTENCES_MAX_COPY_RATIO = 0.7
#: Above this a temperature draws every follower alike, to the precision of
#: a float.
MAX_TEMPERATURE = 1000.0

#: The options that are whole numbers within bounds, with their lowest and
#: highest values, and the highest as a person reads it in an error.
WHOLE_NUMBER_BOUNDS = {
    "seed": (0, MAX_SEED, "2**64-1"),
    "max_copy": (0, MAX_MAX_COPY, "2**32"),
    "sentences": (1, MAX_LENGTH, "2**63-1"),
    "max_chars": (1, MAX_LENGTH, "2**63-1"),
}

#: The options that are numbers within bounds, with their lowest and
#: highest values.
NUMBER_BOUNDS = {
    "temperature": (0.0, MAX_TEMPERATURE),
    "max_copy_ratio": (0.0, 1.0),
}

#: Why a saved chain's model refuses the base model's options.
SAVED_CHAIN_REFUSALS = {
    "order": (
        "order belongs to the saved chain and was fixed when it was trained; "
        "to change it, train the chain again with "
        "'llm markov train NAME FILE --order K --force'"
    ),
    "start": (
        "a saved chain starts from the prompt, not from a start option: "
        "llm -m markov/NAME 'words to continue'"
    ),
    "tokens": (
        "tokens belong to the saved chain and were fixed when it was trained; "
        "to change them, train the chain again with "
        "'llm markov train NAME FILE --tokens MODE --force'"
    ),
}


#: What each ``tokens`` mode makes of a text, for the option's description
#: and the train command's help. The names are the Rust core's
#: (``_markov.TOKENS``), checked against them when a mode is used.
def order_error(order: int, name: str = "order") -> str | None:
    """Why ``order`` cannot be a chain's order, said of the option or
    argument ``name``, or None when it can: the one home of that range."""
    limit = max_order()
    if 1 <= order <= limit:
        return None
    return f"{name} must be between 1 and {limit}, not {order}"


def max_order() -> int:
    """The highest order a chain may have: the Rust core's ``MAX_ORDER``,
    its one definition, read from the native module when first needed."""
    from llm_markov_rs.errors import load_native

    return int(load_native().MAX_ORDER)


def check_tokens(tokens: str) -> None:
    """Raise ValueError unless ``tokens`` names a token mode of the core."""
    from llm_markov_rs.errors import load_native

    modes = list(load_native().TOKENS)
    if tokens not in modes:
        raise ValueError(f"tokens must be one of {', '.join(modes)}, not {tokens!r}")


def _describe_order_range(schema: dict[str, Any]) -> None:
    # Filled in when llm builds the options' JSON schema (`llm models
    # --options`), not when this module is imported: plugin import must not
    # load the native module, and the limit is defined there.
    try:
        limit = str(max_order())
    except MarkovError:
        limit = "a limit set by the native extension, which could not be loaded"
    schema["description"] = schema["description"].replace("MAX_ORDER", limit)


# Derived from the models' own Options base (not llm.Options) so that type
# checkers accept it as the model's Options.
class WalkOptions(llm.Model.Options):
    """What every markov model takes: how long a walk is, how fast it goes,
    and its seed. Validated before anything runs."""

    # llm defines every plugin's options on every command; building their
    # validators waits until a model is used (or llm lists the options).
    model_config = ConfigDict(defer_build=True)

    # None stands for "not given", which llm leaves out of the options it
    # passes on: with sentences, the default cap is then larger.
    length: int | None = Field(
        default=None,
        description=(
            "Number of words to generate, at least 2 (default 20; with "
            "sentences, the most words to write, default 1000)."
        ),
    )
    delay: float = Field(
        default=0.0,
        description=(
            "Seconds to wait between words, from 0 to 10 (default 0); "
            "the output streams word by word when it is above 0."
        ),
    )
    seed: int | None = Field(
        default=None,
        description=(
            "Random seed, from 0 to 2**64-1 (default: drawn at random, and "
            "logged): the same text, options and seed give the same words."
        ),
    )
    sentences: int | None = Field(
        default=None,
        description=(
            "Write this many whole sentences (at least 1; default: unset, "
            "just length words): start at a sentence start and stop after "
            "the word that ends the last one, within length words."
        ),
    )

    max_copy: int | None = Field(
        default=None,
        description=(
            "Never write a run of more than this many consecutive words that "
            "occur in that order in the text, from order + 1 up; 0 turns the "
            "guard off (default: unset, no guard; with sentences, 15, and no "
            "sentence that is a whole sentence of the text)."
        ),
    )

    contains: str | None = Field(
        default=None,
        description=(
            "A word or phrase the output must contain (default: none); with "
            "sentences, every sentence contains it. Cut into tokens as the "
            "text is; it must be in the text."
        ),
    )
    end: str | None = Field(
        default=None,
        description=(
            "A word or phrase the output must end with (default: none); with "
            "sentences, the last sentence ends with it, so it must end a "
            "sentence of the text (give 'Holmes.' rather than 'Holmes')."
        ),
    )
    max_chars: int | None = Field(
        default=None,
        description=(
            "The most characters to write, at least 1 (default: no limit; "
            "without length, it sets the words too); with sentences, whole "
            "sentences only, as many as fit."
        ),
    )
    temperature: float = Field(
        default=1.0,
        description=(
            "How the next word is drawn, from 0 to 1000 (default 1: as often "
            "as it followed in the text); below 1 the frequent followers "
            "more often, 0 always the most frequent; above 1 flatter."
        ),
    )
    balanced: bool | None = Field(
        default=None,
        description=(
            "With sentences, end a sentence only where its quotes and "
            "brackets are balanced, one pair open at a time (default true "
            "with sentences; false turns it off)."
        ),
    )
    max_copy_ratio: float | None = Field(
        default=None,
        description=(
            "With sentences and the copy guard, the most of a sentence's "
            "words that one run copied from the text may be, from 0 to 1, "
            "rounded as markovify's max_overlap_ratio (default 0.7 with "
            "sentences; 1 turns it off)."
        ),
    )

    def steering(self, guarded: bool) -> dict[str, Any]:
        """The walk's keyword arguments that steer it, with the sentences
        defaults in force; the overlap ratio only with the copy guard
        (``guarded``), which measures copies."""
        in_sentences = self.sentences is not None
        ratio = self.max_copy_ratio
        if ratio is None and in_sentences:
            ratio = SENTENCES_MAX_COPY_RATIO
        if not guarded:
            ratio = None
        return {
            "temperature": self.temperature,
            "max_chars": self.max_chars,
            "balanced": in_sentences and self.balanced is not False,
            "max_copy_ratio": ratio,
            "contains": self.contains,
            "end": self.end,
        }

    def copy_bound(self, order: int) -> int | None:
        """The bound on copies in force: ``max_copy`` if given (0: none),
        else in sentences mode 15 (at least ``order + 1``), else none."""
        if self.max_copy is not None:
            return self.max_copy or None
        if self.sentences is not None:
            return max(SENTENCES_MAX_COPY, order + 1)
        return None

    @property
    def word_cap(self) -> int:
        """The most words to write: ``length`` if given, else 20, or with
        ``sentences`` a cap that a sentence does not reach."""
        if self.length is not None:
            return self.length
        if self.sentences is not None:
            return SENTENCES_LENGTH
        # Every token is at least a character.
        return self.max_chars if self.max_chars is not None else DEFAULT_LENGTH

    @field_validator("length")
    @classmethod
    def _check_length(cls, length: int | None) -> int | None:
        if length is None:
            return None
        if length < 2:
            raise ValueError("length must be >= 2")
        if length > MAX_LENGTH:
            raise ValueError(f"length must be <= {MAX_LENGTH}")
        return length

    @field_validator("delay")
    @classmethod
    def _check_delay(cls, delay: float) -> float:
        if not (math.isfinite(delay) and 0 <= delay <= MAX_DELAY):
            raise ValueError("delay must be between 0 and 10 seconds")
        return delay

    @field_validator(*NUMBER_BOUNDS)
    @classmethod
    def _check_number(cls, value: float | None, info: ValidationInfo) -> float | None:
        name = info.field_name or ""
        low, high = NUMBER_BOUNDS[name]
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            raise ValueError(f"{name} must be between {low:g} and {high:g}")
        return value

    @field_validator("contains", "end")
    @classmethod
    def _check_phrase(cls, phrase: str | None, info: ValidationInfo) -> str | None:
        if phrase is not None and not phrase.strip():
            raise ValueError(
                f"{info.field_name} needs a word or phrase, not only spaces"
            )
        return phrase

    @field_validator("end")
    @classmethod
    def _one_phrase(cls, end: str | None, info: ValidationInfo) -> str | None:
        # On the field, not the model: llm names the field an error is
        # for, and an error of the whole model printed an empty name.
        # `contains` comes first, so it is checked by now.
        if end is not None and info.data.get("contains") is not None:
            raise ValueError(
                "give contains or end, not both: a walk is steered to one phrase"
            )
        return end

    @field_validator(*WHOLE_NUMBER_BOUNDS)
    @classmethod
    def _check_bounds(cls, value: int | None, info: ValidationInfo) -> int | None:
        name = info.field_name or ""
        low, high, shown = WHOLE_NUMBER_BOUNDS[name]
        # The bound that was crossed, alone: "sentences must be at least 1",
        # not a range that ends in a machine's largest integer.
        if value is not None and value < low:
            raise ValueError(f"{name} must be at least {low}, not {value}")
        if value is not None and value > high:
            raise ValueError(f"{name} must be at most {shown}, not {value}")
        return value


class MarkovOptions(WalkOptions):
    """Options of the ``markov`` model, which learns from the prompt."""

    order: int = Field(
        default=1,
        description=(
            "How many previous words the next word depends on, from 1 to "
            "MAX_ORDER (default 1); higher orders follow the text more closely."
        ),
        json_schema_extra=_describe_order_range,
    )
    start: str | None = Field(
        default=None,
        description=(
            "Words to continue from (default: none, a random start): the "
            "output goes on from their last words, as in a saved chain."
        ),
    )
    tokens: str = Field(
        default="words",
        description=f"What the chain is made of (default words). {TOKENS_HELP}.",
    )

    @field_validator("tokens")
    @classmethod
    def _check_tokens(cls, tokens: str) -> str:
        check_tokens(tokens)
        return tokens

    @field_validator("order")
    @classmethod
    def _check_order(cls, order: int) -> int:
        if error := order_error(order):
            raise ValueError(error)
        return order


class SavedChainOptions(WalkOptions):
    """Options of a saved chain's model, ``markov/NAME``."""

    # Not options: listed nowhere, only here to say why when given.
    order: SkipJsonSchema[int | None] = None
    start: SkipJsonSchema[str | None] = None
    tokens: SkipJsonSchema[str | None] = None

    @field_validator("order", "start", "tokens")
    @classmethod
    def _refuse(cls, value: object, info: ValidationInfo) -> None:
        if value is not None:
            raise ValueError(SAVED_CHAIN_REFUSALS[info.field_name or ""])
