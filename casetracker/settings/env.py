"""The one place settings read the environment."""

import os

import environ

env = environ.Env()


class MissingSetting(Exception):
    """Raised when production is started without a value it must never guess."""


def required(name: str) -> str:
    # Read as it is: django-environ takes a value beginning with "$" for the name of another
    # variable, and Django's get_random_secret_key() begins one key in 50 with "$".
    value = os.environ.get(name, "")
    if not value:
        raise MissingSetting(f"{name} must be set in the environment for production.")
    return value
