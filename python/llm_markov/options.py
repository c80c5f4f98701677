"""The model's options, as ``llm models --options`` shows them."""

from __future__ import annotations

import math

import llm
from pydantic import Field, field_validator

#: Seeds are 64-bit: the Rust generator takes a u64.
MAX_SEED = 2**64 - 1
#: Walks are counted in u64; nobody reads this many words.
MAX_LENGTH = 2**63 - 1
#: The highest order the Rust core accepts (``llm_markov._markov.MAX_ORDER``).
MAX_ORDER = 100
MAX_DELAY = 10.0


# Derived from the models' own Options base (not llm.Options) so that type
# checkers accept it as the model's Options.
class MarkovOptions(llm.Model.Options):
    """Options of the markov model, validated before anything runs."""

    length: int = Field(
        default=20,
        description="Number of words to generate (at least 2).",
    )
    delay: float = Field(
        default=0.0,
        description=(
            "Seconds to wait between words, from 0 to 10; "
            "the output streams word by word when it is above 0."
        ),
    )
    order: int = Field(
        default=1,
        description=(
            "How many previous words the next word depends on "
            f"(1 to {MAX_ORDER}); higher orders follow the text more closely."
        ),
    )
    seed: int | None = Field(
        default=None,
        description=(
            "Random seed (0 to 2**64-1): the same text, options and seed "
            "give the same words. Drawn at random and logged when not given."
        ),
    )

    @field_validator("length")
    @classmethod
    def _check_length(cls, length: int) -> int:
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

    @field_validator("order")
    @classmethod
    def _check_order(cls, order: int) -> int:
        if not 1 <= order <= MAX_ORDER:
            raise ValueError(f"order must be between 1 and {MAX_ORDER}")
        return order

    @field_validator("seed")
    @classmethod
    def _check_seed(cls, seed: int | None) -> int | None:
        if seed is not None and not 0 <= seed <= MAX_SEED:
            raise ValueError("seed must be between 0 and 2**64-1")
        return seed
