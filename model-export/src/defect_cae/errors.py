"""Errors in the user's input that the CLI reports as one line, not a traceback (kept free of heavy imports)."""


class DatasetError(ValueError):
    """The --data folder is not a usable MVTec-AD-layout category; the message says what to fix."""


class ModelError(ValueError):
    """A model file this command cannot use; the message says what to fix."""


class OptionError(ValueError):
    """Options that cannot go together (or do not fit the data or the checkpoint); the message names them."""


class DeviceError(ValueError):
    """A --device this machine's PyTorch cannot use; the message says what to pass instead."""
