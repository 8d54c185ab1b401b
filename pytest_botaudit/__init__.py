"""pytest-botaudit: the pre-deployment audit of a trading bot, run as a pytest suite."""

__version__ = "0.1.0"
