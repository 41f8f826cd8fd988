"""What bench.py measures, each in a process of its own.

A `Worker` is a child process that builds one measurement (our training step,
the Keras 3 peer's, an inference step, the machine's peak, an input pipeline),
warms it up, and then times it when asked, so that the parent can interleave
ours and the peer's repeats and read each process's own peak resident memory.

Our training step is train.py's: `training.Trainer` builds the net, the
strategy, the optimizer and the losses from train.py's flag defaults, and
`Trainer.step_function()` is the very `tf.function` that train.py calls; only
the input is a random batch held in memory (`inputs.synthetic_dataset`).
"""

import multiprocessing
import os
import resource
import time
import traceback

# Keras applications that are the same nets as ours, with the arguments that
# make them so (include_preprocessing: our nets take images already scaled).
PEERS = {
    'inception_resnet_v2': ('InceptionResNetV2', {}),
    'inception_v3': ('InceptionV3', {}),
    'mobilenet_v1': ('MobileNet', {}),
    'mobilenet_v1_075': ('MobileNet', {'alpha': 0.75}),
    'mobilenet_v1_050': ('MobileNet', {'alpha': 0.5}),
    'mobilenet_v1_025': ('MobileNet', {'alpha': 0.25}),
    'mobilenet_v2': ('MobileNetV2', {}),
    'mobilenet_v2_140': ('MobileNetV2', {'alpha': 1.4}),
    'mobilenet_v2_035': ('MobileNetV2', {'alpha': 0.35}),
    'mobilenet_v3_large': ('MobileNetV3Large', {'include_preprocessing': False}),
    'mobilenet_v3_large_minimalistic': ('MobileNetV3Large', {'include_preprocessing': False,
                                                             'minimalistic': True}),
    'mobilenet_v3_small': ('MobileNetV3Small', {'include_preprocessing': False}),
    'mobilenet_v3_small_minimalistic': ('MobileNetV3Small', {'include_preprocessing': False,
                                                             'minimalistic': True}),
    'nasnet_large': ('NASNetLarge', {}),
    'nasnet_mobile': ('NASNetMobile', {}),
    'resnet_v1_50': ('ResNet50', {}),
    'resnet_v1_101': ('ResNet101', {}),
    'resnet_v1_152': ('ResNet152', {}),
    'resnet_v2_50': ('ResNet50V2', {}),
    'resnet_v2_101': ('ResNet101V2', {}),
    'resnet_v2_152': ('ResNet152V2', {}),
    'vgg_16': ('VGG16', {}),
    'vgg_19': ('VGG19', {}),
}

PRECISIONS = ('float32', 'bfloat16', 'float16')

# The peak probes: float32 3x3 convolutions (batch, size, channels in = out), the
# shapes of ResNet-50's stages, and a square matrix product.
CONV_PROBES = ((32, 56, 64), (32, 28, 128), (32, 14, 256), (32, 7, 512))
MATMUL_PROBE = 4096


class BenchError(RuntimeError):
  """A measurement that failed in its process; the message says which and why."""


class Worker:
  """A child process holding one measurement: `build(**kwargs)` returns
  `(run, facts)`; `times(n)` runs `run()` n times and returns each duration."""

  def __init__(self, label, build, **kwargs):
    self.label = label
    context = multiprocessing.get_context('spawn')  # a fresh TensorFlow, its own memory
    self._conn, child = context.Pipe()
    self._process = context.Process(target=_serve, args=(child, build, kwargs), daemon=True)
    self._process.start()
    child.close()
    self.facts = self._receive()

  def _receive(self):
    try:
      status, value = self._conn.recv()
    except EOFError:
      self._process.join()
      raise BenchError('%s: its process ended with exit code %s (out of memory?)'
                       % (self.label, self._process.exitcode)) from None
    if status == 'error':
      raise BenchError('%s: %s' % (self.label, value))
    return value

  def times(self, count):
    self._conn.send(('times', count))
    return self._receive()

  def peak_rss_mib(self):
    self._conn.send(('rss', None))
    return self._receive()

  def close(self):
    if self._process.is_alive():
      try:
        self._conn.send(('stop', None))
      except (BrokenPipeError, OSError):
        pass
      self._process.join(30)
    if self._process.is_alive():
      self._process.kill()
    self._conn.close()

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    self.close()


def _serve(conn, build, kwargs):
  try:
    run, facts = build(**kwargs)
  except BaseException as e:  # noqa: BLE001 - reported to the parent, which names the worker
    conn.send(('error', _one_line(e)))
    return
  conn.send(('ok', facts))
  while True:
    command, value = conn.recv()
    if command == 'stop':
      return
    try:
      if command == 'times':
        durations = []
        for _ in range(value):
          start = time.perf_counter()
          run()
          durations.append(time.perf_counter() - start)
        conn.send(('ok', durations))
      elif command == 'rss':
        conn.send(('ok', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))
    except BaseException as e:  # noqa: BLE001
      conn.send(('error', _one_line(e)))
      return


def _one_line(error):
  text = str(getattr(error, 'message', None) or error).strip().split('\n')[0][:300]
  where = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
  at = ' (%s:%d)' % (os.path.basename(where[0].filename), where[0].lineno) if where else ''
  return '%s: %s%s' % (type(error).__name__, text, at)


def _warm(run, warmup):
  for _ in range(warmup):
    run()


# Builders: each runs in a worker's process and imports TensorFlow there.

def build_ours(config, mode, warmup):
  """train.py's step (mode 'train') or the eval forward pass (mode 'infer') of the
  run that `config` (engine.flags' keys) describes, on a random batch."""
  import tensorflow as tf

  from engine import inputs, model_building, training
  from nets import registry
  spec = registry.get(config['model_name'])
  batch_size, jit_compile = config['batch_size'], config['jit_compile']
  data = inputs.synthetic(spec.num_classes, config['train_image_size'])
  if mode == 'train':
    trainer = training.Trainer(config, data=data)
    step, strategy = trainer.step_function(), trainer.strategy
    iterator = iter(inputs.synthetic_dataset(strategy, data, batch_size))

    def run():
      loss, _, _ = step(*next(iterator))
      return float(loss)
    replicas = strategy.num_replicas_in_sync
  else:
    net = model_building.build_network(spec, config, data.num_classes)
    forward = tf.function(lambda images: net(images, training=False)[0],
                          jit_compile=jit_compile or None)
    images = next(iter(inputs.synthetic_dataset(
        tf.distribute.get_strategy(), data, batch_size)))[0]

    def run():
      return forward(images).numpy()
    replicas = 1
  _warm(run, warmup)
  return run, {'replicas': replicas}


def build_peer(model, mode, batch_size, image_size, num_classes, precision, jit_compile,
               optimizer, warmup):
  """The Keras 3 application of the same net, compiled with `optimizer` (a
  `peer_optimizer` description). Imports nothing of ours but this module, so
  that its memory is Keras' alone."""
  import keras
  import tensorflow as tf
  if precision != 'float32':
    keras.mixed_precision.set_global_policy('mixed_' + precision)
  class_name, kwargs = PEERS[model]
  net = getattr(keras.applications, class_name)(
      weights=None, classes=num_classes, input_shape=(image_size, image_size, 3),
      classifier_activation=None, **kwargs)
  name, options = optimizer
  net.compile(optimizer=getattr(keras.optimizers, name)(**options),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              jit_compile=jit_compile)
  generator = tf.random.Generator.from_seed(0)
  images = generator.uniform([batch_size, image_size, image_size, 3], -1.0, 1.0)
  labels = generator.uniform([batch_size], 0, num_classes, tf.int64)
  if mode == 'train':
    def run():
      return net.train_on_batch(images, labels)
  else:
    def run():
      return net.predict_on_batch(images)
  _warm(run, warmup)
  return run, {'parameters': int(net.count_params())}


def peer_optimizer(config):
  """(Keras 3 optimizer class name, arguments) equal to train.py's `--optimizer`
  in `config` (engine.flags' names and defaults)."""
  name, lr = config['optimizer'], config['learning_rate']
  if name == 'rmsprop':  # TF-Slim's default, and train.py's
    return 'RMSprop', dict(learning_rate=lr, rho=config['rmsprop_decay'],
                           momentum=config['rmsprop_momentum'], epsilon=config['opt_epsilon'])
  if name == 'momentum':
    return 'SGD', dict(learning_rate=lr, momentum=config['momentum'])
  if name == 'sgd':
    return 'SGD', dict(learning_rate=lr)
  if name == 'adam':
    return 'Adam', dict(learning_rate=lr, beta_1=config['adam_beta1'],
                        beta_2=config['adam_beta2'], epsilon=config['opt_epsilon'])
  raise BenchError('--optimizer=%s has no Keras 3 peer here; valid: rmsprop, momentum, sgd, '
                   'adam' % name)


def build_machine(warmup, precision='float32'):
  """The probes of the machine's peak in `precision` (bfloat16 and float16 have
  kernels of their own, AMX's on recent Xeons); the run is a no-op (this worker
  answers other questions through its facts)."""
  import tensorflow as tf
  dtype = tf.as_dtype(precision)

  def best_gflops(fn, flops):
    _warm(fn, warmup)
    best = float('inf')
    for _ in range(5):
      start = time.perf_counter()
      fn().numpy()
      best = min(best, time.perf_counter() - start)
    return flops / best / 1e9

  generator = tf.random.Generator.from_seed(0)
  normal = lambda shape: tf.cast(generator.normal(shape), dtype)
  conv = {}
  for batch, size, channels in CONV_PROBES:
    x = normal([batch, size, size, channels])
    kernel = normal([3, 3, channels, channels])
    fn = tf.function(lambda x=x, k=kernel: tf.reduce_sum(tf.nn.conv2d(x, k, 1, 'SAME')))
    conv['%dx%dx%d' % (size, size, channels)] = best_gflops(
        fn, 2.0 * batch * size * size * channels * channels * 9)
  n = MATMUL_PROBE
  a, b = normal([n, n]), normal([n, n])
  matmul = best_gflops(tf.function(lambda: tf.reduce_sum(tf.matmul(a, b))), 2.0 * n ** 3)
  return (lambda: None), {'conv_gflops': conv, 'matmul_gflops': matmul,
                          'peak_gflops': max(conv.values())}


def build_pipeline(model, mode, batch_size, image_size, warmup, directory, augmentation=None):
  """The input pipeline train.py (mode 'train') or eval.py reads with, on the JPEGs
  of `write_jpegs(directory)`, with the model's preprocessing and size; training with
  the augmentations of `augmentation` (train.py's flags of engine.inputs.AUGMENTATION_FLAGS)."""
  from datasets import catalog, pipeline
  from engine import inputs
  from nets import registry
  spec = registry.get(model)
  split = catalog.get_split('bench', 'train', directory)
  training = mode == 'train'
  augmentation = inputs.augmentation(augmentation if training and augmentation else {})
  dataset = pipeline.make_dataset(
      split, image_size=image_size or spec.default_image_size, batch_size=batch_size,
      is_training=training, preprocessing=spec.preprocessing, seed=0 if training else None,
      preprocessing_kwargs={'add_image_summaries': False}
      if training and spec.preprocessing == 'inception' else None,
      augment=augmentation.augment(), mix=augmentation.mix(spec.num_classes))
  iterator = iter(dataset.repeat())

  def run():
    return next(iterator)
  _warm(run, warmup)
  return run, {}


def write_jpegs(directory, count=128):
  """A split of `count` JPEGs of ImageNet's typical 500 x 375, smooth random content."""
  import numpy as np
  import tensorflow as tf

  from datasets import records, writer
  rng = np.random.RandomState(0)

  def encode(i):
    small = rng.randint(0, 255, (24, 32, 3)).astype(np.float32)
    image = tf.cast(tf.image.resize(small[None], [375, 500])[0], tf.uint8)
    return records.image_example(tf.io.encode_jpeg(image, quality=90).numpy(), 'jpeg',
                                 i % 1000, 375, 500)

  writer.write_split(list(range(count)), encode, directory, 'bench', 'train', 4, workers=1)
  records.write_labels({i: str(i) for i in range(1000)}, directory)


# bench.py --runtimes: each runtime -> the export (format, quantize) it runs. The
# TensorFlow SavedModel is the baseline the others' ratios are of.
RUNTIMES = {
    'tf': ('saved_model', 'none'),
    'tflite': ('tflite', 'none'),
    'tflite_float16': ('tflite', 'float16'),
    'tflite_dynamic': ('tflite', 'dynamic'),
    'tflite_int8': ('tflite', 'int8_full'),
    'onnx': ('onnx', 'none'),
}
BASELINE_RUNTIME = 'tf'
CALIBRATION_DATASET = 'digits'  # the embedded demo images calibrate the int8 exports
CALIBRATION_IMAGES = 32


def build_exports(model, image_size, runtimes, batch_sizes, directory, warmup=0):
  """Exports `model` with random weights (seeded) for each of `runtimes` at each batch
  size, through export.py's own code (`engine.exporting.export`), int8 calibrated on
  CALIBRATION_IMAGES images of the demo digits through the model's eval preprocessing.
  The run is a no-op; the facts are {runtime: {batch size: export directory}}."""
  del warmup  # nothing to time
  import tensorflow as tf

  from engine import exporting, flags, model_building
  from nets import registry
  spec = registry.get(model)
  tf.random.set_seed(0)
  config = flags.defaults(flags.COMMON, flags.SERVE, flags.EXPORT, model_name=model,
                          image_size=image_size, num_classes=spec.num_classes,
                          calibration_dataset=CALIBRATION_DATASET)
  net = model_building.build_network(spec, config, spec.num_classes)
  net(tf.zeros([1, image_size, image_size, 3]), training=False)
  checkpoint = tf.train.Checkpoint(net=net).write(os.path.join(directory, model, 'random'))
  del net
  paths = {}
  for name in runtimes:
    fmt, quantize = RUNTIMES[name]
    paths[name] = {}
    for batch_size in batch_sizes:
      if fmt == 'saved_model' and paths[name]:  # its batch is free: one serves every size
        paths[name][batch_size] = next(iter(paths[name].values()))
        continue
      export_dir = os.path.join(directory, model, '%s_batch%d' % (name, batch_size))
      exporting.export(dict(config, checkpoint_path=checkpoint, export_dir=export_dir,
                            format=fmt, quantize=quantize, batch_size=batch_size,
                            calibration_steps=max(1, CALIBRATION_IMAGES // batch_size)),
                       given=frozenset(['batch_size']), report=lambda line: None)
      paths[name][batch_size] = export_dir
  return (lambda: None), paths


def build_runtime(path, batch_size, warmup):
  """`engine.runtimes`' model at `path` (an export directory) classifying one random
  batch of `batch_size` preprocessed images."""
  import numpy as np

  from engine import runtimes
  runtime = runtimes.load(path)
  images = np.random.RandomState(0).uniform(
      -1.0, 1.0, [batch_size, runtime.image_size, runtime.image_size, 3]).astype(np.float32)

  def run():
    return runtime.logits(images)
  _warm(run, warmup)
  model_bytes = sum(os.path.getsize(os.path.join(root, name))
                    for root, _, names in os.walk(runtimes.directory_of(runtime.path))
                    for name in names if name not in ('labels.txt', 'config.yaml'))
  return run, {'model_mib': model_bytes / 2 ** 20, 'format': runtime.kind,
               'quantize': runtime.export.get('quantize') or 'none'}
