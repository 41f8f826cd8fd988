"""TF-Slim's module name for `preprocessing.factory`."""

from preprocessing.factory import MODULES, PREPROCESSING_NAMES, get_preprocessing  # noqa: F401
