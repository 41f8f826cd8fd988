"""What export.py and predict.py serve: a trained classifier that takes image files.

`Classifier` is a tf.Module around the net. Its functions decode JPEG or PNG
bytes (or take float images), apply the model's eval preprocessing (the
functions eval.py's input pipeline applies), run the net in inference mode
and return the logits, the probabilities and the top-k classes with their
names. Saved as a SavedModel, it serves with no code of ours; `load_saved_model`
reads one back with the same interface. `write_frozen_graph` writes TF-Slim's
`export_inference_graph` form, a GraphDef with the weights as constants.

A run's `config.yaml` beside the checkpoint (train.py writes it) supplies the
model, its classes, image size, preprocessing and dataset, so
`export.py --checkpoint_path=runs/lenet` needs nothing else; flags override it.
"""

import dataclasses
import os
import shutil

import tensorflow as tf
from tensorflow.python.util import deprecation

from datasets import imagenet, records
from engine import checkpoints, inputs
from engine import config as config_lib
from engine.config import ConfigError
from engine.model_building import build_network
from nets import registry
from preprocessing import factory as preprocessing_factory

BYTES_SIGNATURE = 'serving_default'
IMAGES_SIGNATURE = 'classify_images'
PREPROCESSED_SIGNATURE = 'classify_preprocessed'  # images as the eval preprocessing leaves them
OUTPUTS = ('logits', 'probabilities', 'classes', 'scores', 'labels')
INPUT_NODE, OUTPUT_NODES = 'input', ('logits', 'probabilities')


@dataclasses.dataclass
class Setup:
  """The model, classes and input of a classifier to serve."""
  spec: registry.ModelSpec
  checkpoint: str
  num_classes: int
  image_size: int
  preprocessing: str
  label_names: list       # the name of each output class
  labels_source: str      # where the names came from, for the user


def run_config(checkpoint_path):
  """Recipe keys from the `config.yaml` of the training run that wrote the checkpoint
  (empty when there is none): the model, its scope, classes, size and dataset."""
  directory = checkpoint_path if tf.io.gfile.isdir(checkpoint_path) else \
      os.path.dirname(checkpoint_path)
  path = os.path.join(directory or '.', 'config.yaml')
  if not checkpoint_path or not os.path.isfile(path):
    return {}
  run = config_lib.load_yaml(path)
  resolved = run.get('resolved') or {}
  keys = {k: run.get(k) for k in ('model_name', 'weight_decay', 'scope') if run.get(k)
            is not None}
  keys.update(num_classes=resolved.get('num_classes'), labels_offset=resolved.get('labels_offset'),
              image_size=resolved.get('image_size'),
              preprocessing_name=resolved.get('preprocessing'),
              dataset_name=(resolved.get('dataset') or '').split('/')[0] or None,
              dataset_dir=run.get('dataset_dir'))
  return {k: v for k, v in keys.items() if v is not None}


def resolve(config):
  """The `Setup` of a config with model_name, checkpoint_path, num_classes,
  image_size, preprocessing_name, labels_file, labels_offset, dataset_name and
  dataset_dir (the missing ones from the checkpoint and the model)."""
  spec = registry.get(config['model_name'])
  if spec.input_frames:
    raise ConfigError('--model_name=%s classifies video clips [batch, %d frames, height, width, '
                      '3]; export.py and predict.py serve image classifiers'
                      % (spec.name, spec.input_frames))
  if not config['checkpoint_path']:
    raise ConfigError('--checkpoint_path is required: a checkpoint or a train_dir')
  path = checkpoints.find(config['checkpoint_path'])
  num_classes = (config['num_classes'] or checkpoints.classes_in(path, spec.logits_scopes[0])
                 or spec.num_classes)
  names, source = _label_names(config, spec, num_classes)
  return Setup(spec, path, num_classes, config['image_size'] or spec.default_image_size,
               config['preprocessing_name'] or spec.preprocessing, names, source)


def _label_names(config, spec, num_classes):
  """The name of each class, from --labels_file, the dataset's labels.txt, or for a 1000- or
  1001-class model ImageNet's (datasets/imagenet_classes.txt)."""
  offset = config['labels_offset']
  if config['labels_file']:
    path = config['labels_file']
    if not tf.io.gfile.exists(path):
      raise FileNotFoundError('--labels_file: %s does not exist' % path)
    labels = records.read_labels(os.path.dirname(path), os.path.basename(path))
    if offset is None:  # a names file with a background class for a model without one
      offset = 1 if len(labels) == num_classes + 1 and 0 in labels else 0
    source = path
  elif config['dataset_name'] or config['dataset_dir']:
    data = inputs.resolve(dict(config, num_classes=num_classes), spec,
                          ('validation', 'test', 'train'))
    labels, offset = data.split.labels_to_names, data.labels_offset
    source = 'dataset %s' % data.split.dataset
  elif num_classes in (imagenet.NUM_CLASSES, imagenet.NUM_CLASSES + 1):  # TF-Slim's default
    return imagenet.class_names(num_classes), 'ImageNet class names (%d classes)' % num_classes
  else:
    labels, offset, source = {}, 0, None
  names = [labels.get(i + (offset or 0), str(i)) for i in range(num_classes)]
  return names, source or 'class numbers (no --labels_file or --dataset_name)'


def outputs(logits, top_k, label_names):
  """`OUTPUTS` of a batch's logits: the probabilities and the `top_k` classes, their
  scores and names (`label_names`: a string tensor, one name per class)."""
  probabilities = tf.nn.softmax(logits)
  scores, classes = tf.math.top_k(probabilities, top_k)
  return {'logits': logits, 'probabilities': probabilities, 'classes': classes,
          'scores': scores, 'labels': tf.gather(label_names, classes)}


class Classifier(tf.Module):
  """The net with its eval preprocessing; each function returns `OUTPUTS`."""

  def __init__(self, net, setup, top_k=5):
    super().__init__(name='classifier')
    # The SavedModel keeps the weights and the two functions. Tracking the Keras
    # layer itself would also serialize its call traces, which doubles the export time.
    self.weights = list(net.variables)
    self._net = lambda: net
    self.image_size = setup.image_size
    self.top_k = min(top_k, setup.num_classes)
    self.label_names = tf.constant(setup.label_names)
    self._preprocess = preprocessing_factory.get_preprocessing(setup.preprocessing,
                                                               is_training=False)
    preprocessed = tf.TensorSpec([None, self.image_size, self.image_size, 3], tf.float32,
                                 name='images')
    # The net alone, on eval-preprocessed images: what TFLite and ONNX convert and eval.py
    # --model_file feeds from its own pipeline.
    self.classify_preprocessed = tf.function(self._outputs, input_signature=[preprocessed])

  def _prepared(self, image):
    """One uint8 image as eval.py's pipeline prepares it."""
    image = self._preprocess(image, self.image_size, self.image_size)
    image.set_shape([self.image_size, self.image_size, 3])
    return image

  @property
  def net(self):
    return self._net()

  def _outputs(self, images):
    logits, _ = self.net(images, training=False)
    return outputs(logits, self.top_k, self.label_names)

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name='image_bytes')])
  def classify_bytes(self, image_bytes):
    """Encoded images (JPEG, PNG, GIF or BMP), any sizes, a batch of any length."""
    spec = tf.TensorSpec([self.image_size, self.image_size, 3], tf.float32)
    images = tf.map_fn(lambda data: self._prepared(records.decode_image(data)), image_bytes,
                       fn_output_signature=spec)
    return self._outputs(images)

  @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name='images')])
  def classify_images(self, images):
    """RGB images in [0, 1], one size per batch; quantized to 8 bits as decoded images are."""
    spec = tf.TensorSpec([self.image_size, self.image_size, 3], tf.float32)
    pixels = tf.image.convert_image_dtype(images, tf.uint8, saturate=True)
    return self._outputs(tf.map_fn(self._prepared, pixels, fn_output_signature=spec))


def build(config, top_k=5):
  """(Classifier, Setup) of a config, its weights restored (the moving averages
  with moving_average_decay)."""
  setup = resolve(config)
  net = build_network(setup.spec, dict(config, mixed_precision='none'), setup.num_classes)
  net(tf.zeros([1, setup.image_size, setup.image_size, 3]), training=False)
  checkpoints.restore(net.variables, setup.checkpoint,
                      moving_averages=bool(config['moving_average_decay']))
  return Classifier(net, setup, top_k), setup


def _replace_atomically(write, destination, overwrite, what):
  """Writes `destination` by `write(tmp)` then a rename, so that a failure leaves
  any earlier one whole; an existing one is replaced only with `overwrite`."""
  if tf.io.gfile.exists(destination) and not overwrite:
    raise ConfigError('%s %s exists; pass --overwrite to replace it' % (what, destination))
  parent = os.path.dirname(os.path.abspath(destination))
  os.makedirs(parent, exist_ok=True)
  if not os.access(parent, os.W_OK):
    raise PermissionError('%s: cannot write to %s' % (what, parent))
  tmp = destination + '.tmp-%d' % os.getpid()
  old = destination + '.old-%d' % os.getpid()
  try:
    write(tmp)
    if os.path.exists(destination):
      os.replace(destination, old)
    os.replace(tmp, destination)
  finally:
    for leftover in (tmp, old):
      if os.path.isdir(leftover):
        shutil.rmtree(leftover)
      elif os.path.exists(leftover):
        os.remove(leftover)


def save(classifier, export_dir, overwrite=False):
  """Writes the SavedModel with its three signatures (batch size free)."""
  _replace_atomically(lambda tmp: write_saved_model(classifier, tmp), export_dir, overwrite,
                      '--export_dir')


def write_saved_model(classifier, directory):
  """The SavedModel with its three signatures in `directory`, not atomically (see `save`)."""
  # The root holds only the weights and the traced signatures: saving a module
  # with tf.function attributes would trace the net twice more.
  root = tf.Module()
  root.weights = classifier.weights
  signatures = {BYTES_SIGNATURE: classifier.classify_bytes.get_concrete_function(),
                IMAGES_SIGNATURE: classifier.classify_images.get_concrete_function(),
                PREPROCESSED_SIGNATURE: classifier.classify_preprocessed.get_concrete_function()}
  tf.saved_model.save(root, directory, signatures=signatures)


def write_frozen_graph(classifier, setup, path, overwrite=False):
  """Writes `frozen_graph_def` to `path` (atomically) and returns it."""
  frozen = frozen_graph_def(classifier, setup)

  def write(tmp):
    with open(tmp, 'wb') as f:
      f.write(frozen.SerializeToString())

  _replace_atomically(write, path, overwrite, '--frozen_graph')
  return frozen


def frozen_graph_def(classifier, setup):
  """TF-Slim's export_inference_graph, frozen: a GraphDef that maps preprocessed
  images at node 'input' [batch, size, size, 3] to 'logits' and 'probabilities',
  the weights (the classifier's, as restored) in it as constants."""
  values = {checkpoints.name_of(v): v.numpy() for v in classifier.net.variables}
  graph = tf.Graph()
  with graph.as_default():
    images = tf.compat.v1.placeholder(
        tf.float32, [None, setup.image_size, setup.image_size, 3], name=INPUT_NODE)
    logits, _ = classifier.net.forward(images, training=False)
    tf.identity(logits, name=OUTPUT_NODES[0])
    tf.nn.softmax(logits, name=OUTPUT_NODES[1])
    variables = graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)
    # The TF1 freezing API is deprecated but is what the TF1 tool chain reads.
    with tf.compat.v1.Session() as session, deprecation.silence():
      session.run([v.initializer for v in variables],
                  {v.initial_value: values[v.op.name] for v in variables})
      return tf.compat.v1.graph_util.convert_variables_to_constants(
          session, graph.as_graph_def(), list(OUTPUT_NODES))


def load_saved_model(export_dir):
  """fn(encoded image bytes) -> `OUTPUTS` of a SavedModel that `save` wrote."""
  if not tf.io.gfile.exists(os.path.join(export_dir, 'saved_model.pb')):
    raise FileNotFoundError('--saved_model: %s is not a SavedModel directory (no '
                            'saved_model.pb; write one with export.py)' % export_dir)
  loaded = tf.saved_model.load(export_dir)
  if BYTES_SIGNATURE not in loaded.signatures:
    raise ConfigError('--saved_model: %s has no %r signature taking image bytes'
                      % (export_dir, BYTES_SIGNATURE))
  signature = loaded.signatures[BYTES_SIGNATURE]
  return lambda image_bytes: signature(image_bytes=image_bytes)
