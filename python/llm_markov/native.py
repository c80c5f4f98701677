"""Loading the native extension, late and with a clear error.

A plugin that fails to import stops every llm command, ``llm uninstall``
included, so the extension is imported only when the model runs.
"""

from __future__ import annotations

import platform
import sys
from functools import cache
from types import ModuleType

from llm_markov.errors import MarkovError


@cache
def load_native() -> ModuleType:
    """Import ``llm_markov._markov``, or raise a MarkovError that says why
    it failed and how to repair the installation."""
    try:
        from llm_markov import _markov
    except ImportError as error:
        raise MarkovError(
            "llm-markov's native extension could not be loaded "
            f"({error}) on {platform.system()} {platform.machine()}, "
            f"Python {sys.version.split()[0]}. Reinstall the plugin with "
            "'llm install --force-reinstall llm-markov'; in a development "
            "checkout, rebuild it with 'maturin develop'."
        ) from error
    return _markov
