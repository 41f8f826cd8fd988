"""bench.py: speed as ratios against a peer measured in the same run.

  python bench.py [--only=scopes,pipeline]

scopes:
  - scopes.arg_scope against tf_slim.arg_scope: entering a scope over two ops
    and calling a decorated op in it. Both run TF-Slim's stack; the ratio shows
    what our checks cost.
  - a Keras layer built inside arg_scope against the same layer built plainly
    with the same arguments: what the armed constructor costs.
  Times are the median of interleaved repeats; ratio = ours / peer time (lower
  is better, 1.0 = as fast as the peer).
pipeline:
  - the input pipeline's images/s (JPEGs of ImageNet's typical 500 x 375,
    decoded, inception training preprocessing at 299 x 299, batched) against
    the images/s of an inception_v3 training step on the same machine.
    ratio = pipeline / model (higher is better; at least 3 means the input
    pipeline is never the bottleneck).
"""

import os
import statistics
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

flags.DEFINE_list('only', ['scopes', 'pipeline'], 'Which benches: scopes, pipeline.')
flags.DEFINE_integer('repeats', 7, 'Interleaved repeats of each measurement.')
flags.DEFINE_integer('number', 2000, 'Calls per repeat for the scope benches.')
flags.DEFINE_integer('batch_size', 32, 'Batch of the pipeline and model benches.')
flags.DEFINE_integer('model_steps', 3, 'Timed training steps of the model bench.')
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


def bench_scopes():
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


def _jpeg_split(directory, count=256):
  """A split of `count` 500 x 375 JPEGs with smooth random content."""
  import numpy as np
  import tensorflow as tf

  from datasets import catalog, records, writer
  rng = np.random.RandomState(0)

  def encode(i):
    small = rng.randint(0, 255, (24, 32, 3)).astype(np.float32)
    image = tf.cast(tf.image.resize(small[None], [375, 500])[0], tf.uint8)
    return records.image_example(tf.io.encode_jpeg(image, quality=90).numpy(), 'jpeg',
                                 i % 1000, 375, 500)

  writer.write_split(list(range(count)), encode, directory, 'bench', 'train', 8, workers=1)
  records.write_labels({i: str(i) for i in range(1000)}, directory)
  return catalog.get_split('bench', 'train', directory)


def _images_per_second(step, batch_size, steps):
  step()  # trace and warm up
  step()
  start = time.perf_counter()
  for _ in range(steps):
    step()
  return steps * batch_size / (time.perf_counter() - start)


def bench_pipeline():
  import tempfile

  import tensorflow as tf
  import tf_keras

  from datasets import pipeline
  from engine import Network, training

  batch = FLAGS.batch_size
  with tempfile.TemporaryDirectory() as directory:
    split = _jpeg_split(directory)
    dataset = pipeline.make_dataset(split, image_size=299, batch_size=batch, is_training=True,
                                    preprocessing='inception', seed=0,
                                    preprocessing_kwargs={'add_image_summaries': False})
    iterator = iter(dataset)
    pipeline_rate = _images_per_second(lambda: next(iterator), batch, 40)

  net = Network.from_registry('inception_v3', num_classes=1001,
                              scope_params={'weight_decay': 4e-5})
  optimizer = tf_keras.optimizers.SGD(0.01, momentum=0.9)
  images = tf.random.uniform([batch, 299, 299, 3], -1, 1)
  labels = tf.random.uniform([batch], 0, 1001, tf.int64)

  @tf.function
  def train_step():  # train.py's loss: logits, auxiliary logits, weight decay
    with tf.GradientTape() as tape:
      logits, end_points = net(images, training=True)
      loss = tf.reduce_mean(training.classification_loss(labels, logits, 1001, 0.0)
                            + training.AUX_LOSS_WEIGHT * training.classification_loss(
                                labels, end_points['AuxLogits'], 1001, 0.0))
      loss += tf.add_n(net.losses)
    grads = tape.gradient(loss, net.trainable_variables)
    optimizer.apply_gradients(zip(grads, net.trainable_variables, strict=True))
    return loss

  model_rate = _images_per_second(lambda: train_step().numpy(), batch, FLAGS.model_steps)
  print('%-44s %10s' % ('benchmark', 'images/s'))
  print('%-44s %10.1f' % ('input pipeline (inception train, 299, JPEG)', pipeline_rate))
  print('%-44s %10.1f' % ('inception_v3 training step', model_rate))
  print('%-44s %10.2f  (goal: at least 3)' % ('ratio pipeline / model', pipeline_rate / model_rate))


BENCHES = {'scopes': bench_scopes, 'pipeline': bench_pipeline}


def main(argv):
  del argv
  unknown = sorted(set(FLAGS.only) - set(BENCHES))
  if unknown:
    raise app.UsageError('--only: unknown bench %s; valid: %s' % (
        ', '.join(unknown), ', '.join(BENCHES)))
  for name in FLAGS.only:
    BENCHES[name]()
    print()


if __name__ == '__main__':
  app.run(main)
