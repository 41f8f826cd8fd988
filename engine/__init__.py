"""What train.py, eval.py and bench.py share: the TF2 wrapper around the nets."""

from engine.network import Network

__all__ = ['Network']
