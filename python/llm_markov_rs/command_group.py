"""The ``llm markov`` group as llm registers it, on every start: its
commands (:mod:`llm_markov_rs.commands`) are imported only when one of them
is run or listed, as click's lazily loaded subcommands are.
"""

from __future__ import annotations

import click

from llm_markov_rs.errors import other_markov_plugin_note

#: The names of the group's commands: ``llm_markov_rs.commands.COMMANDS``
#: holds each.
COMMAND_NAMES = ("info", "list", "merge", "path", "remove", "train")


class MarkovGroup(click.Group):
    """A group that imports its commands when it is asked for one. llm
    starts by adding every plugin's commands, for ``llm --version`` too,
    and building these took 3.6 ms of each start."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The commands' names, in the order the help lists them."""
        return sorted(COMMAND_NAMES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command called ``cmd_name``, imported now, or None."""
        if cmd_name not in COMMAND_NAMES:
            return None
        from llm_markov_rs.commands import COMMANDS

        return COMMANDS[cmd_name]


@click.group(name="markov", cls=MarkovGroup)
def markov_group() -> None:
    """Train Markov chains once and prompt them as models (markov/NAME)."""
    if note := other_markov_plugin_note():
        click.echo(f"Warning: {note}", err=True)
