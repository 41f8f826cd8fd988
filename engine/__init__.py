"""What train.py, eval.py and bench.py share: the TF2 wrapper around the nets, flags and
recipes, strategies, checkpoints, optimizers, and the training and evaluation loops."""

from engine.network import Network

__all__ = ['Network']
