"""The one place settings read the environment."""

import environ

env = environ.Env()


class MissingSetting(Exception):
    """Raised when production is started without a value it must never guess."""


def required(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise MissingSetting(f"{name} must be set in the environment for production.")
    return value
