"""bench.py: speed as ratios against a peer measured in the same run.

What it measures today (the model benchmarks come with the nets):
  - scopes.arg_scope against tf_slim.arg_scope: entering a scope over two ops
    and calling a decorated op in it. Both run TF-Slim's stack; the ratio shows
    what our checks cost.
  - a Keras layer built inside arg_scope against the same layer built plainly
    with the same arguments: what the armed constructor costs.
Times are the median of interleaved repeats; ratio = ours / peer time (lower
is better, 1.0 = as fast as the peer).
"""

import os
import statistics
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

flags.DEFINE_integer('repeats', 7, 'Interleaved repeats of each measurement.')
flags.DEFINE_integer('number', 2000, 'Calls per repeat for the scope benches.')
FLAGS = flags.FLAGS


def _timed(fn, number):
  start = time.perf_counter()
  for _ in range(number):
    fn()
  return (time.perf_counter() - start) / number


def _interleaved(benches, repeats):
  """{name: ([ours seconds per call], [peer seconds per call])}: each repeat
  times every bench, ours then peer, so drift hits both alike."""
  results = {name: ([], []) for name, _, _, _ in benches}
  for _ in range(repeats):
    for name, ours, peer, number in benches:
      results[name][0].append(_timed(ours, number))
      results[name][1].append(_timed(peer, number))
  return results


def main(argv):
  del argv
  import keras
  import tf_slim as slim

  import scopes

  @scopes.add_arg_scope
  def op(a=1, b=2):
    return a + b

  def ours_scope():
    with scopes.arg_scope([op, slim.conv2d], a=3):
      op()

  def peer_scope():
    with slim.arg_scope([op, slim.conv2d], a=3):
      op()

  def ours_layer():
    with scopes.arg_scope([keras.layers.Dense], use_bias=False):
      keras.layers.Dense(4)

  def peer_layer():
    keras.layers.Dense(4, use_bias=False)

  ours_layer()  # arm the class before timing
  benches = [('arg_scope enter + call', ours_scope, peer_scope, FLAGS.number),
             ('Keras Dense under scope', ours_layer, peer_layer,
              max(1, FLAGS.number // 20))]
  results = _interleaved(benches, FLAGS.repeats)
  print('%-26s %12s %12s %7s' % ('benchmark', 'ours (us)', 'peer (us)', 'ratio'))
  for name, (ours, peer) in results.items():
    a, b = statistics.median(ours), statistics.median(peer)
    print('%-26s %12.2f %12.2f %7.2f' % (name, a * 1e6, b * 1e6, a / b))


if __name__ == '__main__':
  app.run(main)
