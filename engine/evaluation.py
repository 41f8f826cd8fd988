"""The evaluation of eval.py: top-1, top-5 and loss over a whole split, exactly once.

`evaluate(config)` restores a checkpoint (a file or a directory's latest; ours
or TF-Slim's, by variable name; the moving averages when asked), runs the
split once in a fixed order, writes TensorBoard eval summaries and
`results.json` to eval_dir, and returns the results. With
`eval_interval_secs` it evaluates each new checkpoint as it appears. With
`model_file` it evaluates an exported model instead (`engine.runtimes`: TFLite,
ONNX or a SavedModel) through the same pipeline, its results marked with what
was evaluated ('checkpoint', or the export's 'format/quantize').
"""

import inspect
import json
import os

import tensorflow as tf

from datasets import files, pipeline
from engine import checkpoints, inputs, runtimes
from engine import config as config_lib
from engine.losses import classification_loss
from engine.model_building import build_network
from nets import registry
from preprocessing import factory as preprocessing_factory


# eval.py's preprocessing flags -> the keyword of `preprocess_image` each sets. A
# preprocessing without that keyword refuses the flag rather than ignore it: lenet and
# cifarnet crop or pad to the input size, with no central fraction and no resize.
PREPROCESSING_FLAGS = {'eval_central_fraction': 'central_fraction',
                       'eval_resize_method': 'resize_method'}


def _takes(module, keyword):
  return keyword in inspect.signature(module.preprocess_image).parameters


def preprocessing_options(config, preprocessing):
  """The `preprocess_image` keywords that `config`'s eval flags give `preprocessing`."""
  module = preprocessing_factory.MODULES.get(
      preprocessing_factory.PREPROCESSING_NAMES.get(preprocessing))
  options = {}
  for flag, keyword in PREPROCESSING_FLAGS.items():
    value = config.get(flag)
    if value is None or module is None:  # an unknown preprocessing fails by its own name
      continue
    if not _takes(module, keyword):
      raise config_lib.ConfigError('--%s=%s: the %s preprocessing has no %s (only %s do)' % (
          flag, value, preprocessing, keyword, ', '.join(
              name for name, m in sorted(preprocessing_factory.MODULES.items())
              if _takes(m, keyword))))
    options[keyword] = value
  if not 0 < options.get('central_fraction', 1) <= 1:
    raise config_lib.ConfigError('--eval_central_fraction=%s: must be in (0, 1]'
                                 % options['central_fraction'])
  return options


def published(spec, data):
  """{'published': the official checkpoint's published top-1 and top-5 (fractions) and
  the size and preprocessing they were measured with} when `data` is ImageNet's
  validation split and the model has them; else {}."""
  if (data.split.dataset, data.split.split) != ('imagenet', 'validation') or \
      spec.published_top1 is None:
    return {}
  top5 = spec.published_top5
  return {'published': {'top1': round(spec.published_top1 / 100, 4),
                        'top5': None if top5 is None else round(top5 / 100, 4),
                        'image_size': spec.eval_image_size,
                        'preprocessing': spec.preprocessing}}


class Evaluator:
  """The model and data of an evaluation; `evaluate(path)` scores one checkpoint, or
  with a `runtime` (an exported model) `evaluate()` scores that."""

  def __init__(self, config, runtime=None):
    self.config = config
    self.runtime = runtime
    self.spec = registry.get(config['model_name'])
    self.data = inputs.resolve(config, self.spec, ('validation', 'test'),
                               runtime.image_size if runtime else config['eval_image_size'])
    if self.data.demo:
      print('no --dataset_name: evaluating on the embedded digits demo dataset '
            '(%s, %d images)' % (self.data.split.split, self.data.split.num_samples), flush=True)
    self.preprocessing_options = preprocessing_options(config, self.data.preprocessing)
    if runtime and runtime.num_classes != self.data.num_classes:
      raise config_lib.ConfigError('--model_file: %s has %d classes, the dataset %s %d' % (
          runtime.path, runtime.num_classes, self.data.split.dataset, self.data.num_classes))
    if not runtime:
      self.net = build_network(self.spec, config, self.data.num_classes)
      self.net(tf.zeros([1, self.data.image_size, self.data.image_size, 3]), training=False)
    self.eval_dir = config_lib.writable_dir(config['eval_dir'], '--eval_dir')
    self._step = tf.function(self._batch_metrics)
    self._metrics = tf.function(self._logits_metrics)

  def _batch_metrics(self, images, labels):
    logits, _ = self.net(images, training=False)
    if self.config.get('eval_flip'):  # the mean of the image's and its mirror's logits
      logits = (logits + self.net(tf.image.flip_left_right(images), training=False)[0]) / 2
    return self._logits_metrics(logits, labels)

  def _logits_metrics(self, logits, labels):
    loss = tf.reduce_sum(classification_loss(labels, logits, self.data.num_classes, 0.0))
    top1 = tf.reduce_sum(tf.cast(tf.math.in_top_k(labels, logits, 1), tf.float32))
    k = min(5, self.data.num_classes)
    top5 = tf.reduce_sum(tf.cast(tf.math.in_top_k(labels, logits, k), tf.float32))
    return loss, top1, top5

  def restore(self, path):
    return checkpoints.restore(self.net.variables, path,
                               moving_averages=bool(self.config['moving_average_decay']))

  def batches(self):
    """(images, labels) of the split, each example once, in a fixed order."""
    preprocessing = self.data.preprocessing
    if self.runtime and self.runtime.input == runtimes.PIXELS:  # the model normalizes inside
      preprocess = preprocessing_factory.get_preprocessing(preprocessing, is_training=False)
      preprocessing = lambda image, height, width, **kwargs: preprocess(
          image, height, width, normalized=False, **kwargs)
    dataset = pipeline.make_dataset(
        self.data.split, image_size=self.data.image_size, preprocessing=preprocessing,
        batch_size=self.config['batch_size'], is_training=False,
        labels_offset=self.data.labels_offset, num_classes=self.data.num_classes,
        preprocessing_kwargs=self.preprocessing_options)
    return pipeline.iterate(dataset, self.data.split, self.data.num_classes,
                            self.data.labels_offset)

  def evaluate(self, path=None):
    """{'checkpoint', 'step', 'top1', 'top5', 'loss', 'examples', 'evaluated'} of one
    checkpoint, or of the runtime's model (also 'model_file')."""
    if not self.runtime:
      path = checkpoints.find(path)
      self.restore(path)
    totals = [0.0, 0.0, 0.0]
    count = 0
    limit = self.config['max_num_batches']
    for index, (images, labels) in enumerate(self.batches()):
      if limit and index >= limit:
        break
      if self.runtime:
        logits = self.runtime.logits(images.numpy())
        if self.config.get('eval_flip'):
          logits = (logits + self.runtime.logits(images.numpy()[:, :, ::-1])) / 2
        metrics = self._metrics(logits, labels)
      else:
        metrics = self._step(images, labels)
      for i, value in enumerate(metrics):
        totals[i] += float(value)
      count += int(labels.shape[0])
    if not count:
      raise checkpoints.CheckpointError('--max_num_batches=%s evaluates nothing' % limit)
    if self.runtime:  # the checkpoint and step it was exported from
      path, step = self.runtime.export.get('checkpoint'), self.runtime.export.get('step')
      evaluated = {'evaluated': self.runtime.description, 'model_file': self.runtime.path}
    else:
      step, evaluated = _step_of(path), {'evaluated': 'checkpoint'}
    results = {'checkpoint': path, 'step': step, 'examples': count, **evaluated,
               'dataset': '%s/%s' % (self.data.split.dataset, self.data.split.split),
               'loss': totals[0] / count, 'top1': totals[1] / count, 'top5': totals[2] / count,
               **published(self.spec, self.data)}
    self._write(results)
    return results

  def _write(self, results):
    tf.io.gfile.makedirs(self.eval_dir)
    writer = tf.summary.create_file_writer(self.eval_dir)
    with writer.as_default(step=results['step'] or 0):
      for key in ('top1', 'top5', 'loss'):
        tf.summary.scalar('eval/%s' % key, results[key])
    writer.flush()
    files.write_whole(os.path.join(self.eval_dir, 'results.json'),
                        json.dumps(results, indent=1, sort_keys=True))


def _step_of(path):
  """The global step of a checkpoint: its optimizer's iterations, or the -N suffix."""
  reader = tf.train.load_checkpoint(path)
  for key in reader.get_variable_to_shape_map():
    if key.startswith(('optimizer/iter', 'optimizer/_iterations')) or key == 'global_step':
      return int(reader.get_tensor(key))
  suffix = path.rsplit('-', 1)[-1]
  return int(suffix) if suffix.isdigit() else None


def evaluate(config, report=print):
  """Evaluates --checkpoint_path once, or each new checkpoint of its directory
  with eval_interval_secs; returns the last results."""
  if config.get('model_file'):
    results = Evaluator(config, runtimes.load(config['model_file'])).evaluate()
    report(results)
    return results
  evaluator = Evaluator(config)
  path = config['checkpoint_path']
  if not config['eval_interval_secs']:
    results = evaluator.evaluate(path)
    report(results)
    return results
  if tf.io.gfile.exists(path) and not tf.io.gfile.isdir(path) or \
      tf.io.gfile.glob(path + '.index'):
    raise checkpoints.CheckpointError('--eval_interval_secs needs --checkpoint_path to be a '
                                      'directory, not %s' % path)
  # A directory that train.py has not created yet is waited for, like its checkpoints.
  results = None
  found = tf.train.checkpoints_iterator(path, min_interval_secs=config['eval_interval_secs'],
                                        timeout=config['eval_timeout_secs'])
  for number, checkpoint in enumerate(found, 1):
    try:
      results = evaluator.evaluate(checkpoint)
    except (checkpoints.CheckpointError, tf.errors.NotFoundError):
      if tf.io.gfile.exists(checkpoint + '.index'):
        raise
      # train.py deleted it (--keep_checkpoint_max) before it could be read: the
      # state file lists only complete checkpoints, so the next one will be whole.
      print('%s was deleted before it could be evaluated; waiting for the next one'
            % os.path.basename(checkpoint), flush=True)
      continue
    report(results)
    if config['max_number_of_evaluations'] and number >= config['max_number_of_evaluations']:
      break
  return results
