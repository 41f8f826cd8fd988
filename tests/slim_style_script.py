"""A TF-Slim-style script, as TF-Slim's own scripts and the TF Object Detection
API's feature extractors write it: `from nets import nets_factory`, a TF1 graph,
a placeholder, a Session. tests/test_nets_factory.py runs it in a child process.

    python tests/slim_style_script.py [MODEL]   # prints the logits' shape
"""

import sys

import numpy as np
import tensorflow as tf

from nets import nets_factory


def main(name):
  network_fn = nets_factory.get_network_fn(name, num_classes=10, is_training=False)
  size = network_fn.default_image_size
  with tf.Graph().as_default():
    images = tf.compat.v1.placeholder(tf.float32, [None, size, size, 3])
    logits, end_points = network_fn(images)
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      values = sess.run(logits, {images: np.zeros([1, size, size, 3], np.float32)})
  print('logits %s %s' % (name, list(values.shape)))
  print('predictions %s' % (end_points['Predictions'].shape.as_list(),))


if __name__ == '__main__':
  main(sys.argv[1] if len(sys.argv) > 1 else 'inception_v1')
