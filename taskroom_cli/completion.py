"""`taskroom completion bash|zsh`: the shell's completion script, made from the parser itself
by `shtab`, so a new command or option completes without anyone editing a script."""

from __future__ import annotations

import argparse

import shtab

SHELLS = ("bash", "zsh")


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], root: argparse.ArgumentParser
) -> None:
    completion = sub.add_parser(
        "completion",
        help='print the shell completion script (bash: eval "$(taskroom completion bash)")',
    )
    completion.add_argument("shell", choices=SHELLS)

    def print_script(args: argparse.Namespace) -> int:
        print(shtab.complete(root, shell=args.shell))
        return 0

    completion.set_defaults(func=print_script)
