"""bench.py: our training and inference steps against Keras 3's, measured in one run.

  python bench.py --models='resnet_v1_50,inception_v3,mobilenet_v1,vgg_16' --mode=both
  python bench.py --models='mobilenet*' --mode=train --batch_size=64 --precision=bfloat16

For each model and mode it prints images/s, the step time (median, min-max over
interleaved repeats after warm-up), parameters, multiply-adds, the fraction of
the machine's peak it reaches, the peak resident memory of its process, and
the input pipeline's images/s; beside it the same of the Keras 3 application
(keras.applications) of the same net, and the ratio ours / peer (images/s,
higher is better: of the medians, with its lowest and highest over the repeats,
each repeat timing both back to back). Results also go to
<output_dir>/bench-<time>.{csv,json}.

- ours: train.py's own training step (engine.training.Trainer with train.py's
  flag defaults: the same wrapper, strategy, optimizer, losses and weight
  decay), or the eval forward pass, on a random batch in memory.
- peer: the Keras 3 model at the same input size and batch, compiled with the
  same optimizer, run by `train_on_batch` / `predict_on_batch`. Both run in
  processes of their own with the same environment, repeats alternating.
- peak: the best GFLOP/s of 3x3 convolution probes in --precision, measured
  first in the same run (a 4096 matmul is reported beside). Training counts
  multiply-adds x 2 x 3 per image (forward, and two backward products),
  inference x 2.
- input: train.py's (or eval.py's) input pipeline with the model's
  preprocessing and size, on 500 x 375 JPEGs; it should outrun the model.
  Training's includes the augmentations of train.py's flags given to bench.py
  (--randaugment, --autoaugment, --random_erasing, --mixup_alpha, ...).

`--only=scopes` times arg_scope against tf_slim's (what our checks cost).

`--mode=infer --runtimes=tf,tflite,tflite_int8,onnx` compares the runtimes of
the exported model instead (engine.runtimes; each exported by export.py's code
from random weights, int8 calibrated on the demo digits): for each, batch-1
latency (median, min-max of every call) and batch --batch_size throughput, the
runtimes' calls interleaved, each in a process of its own, with the ratio to
the TensorFlow SavedModel's (`tf`): latency runtime / tf (lower is better),
throughput runtime / tf (higher is better).
"""

import csv
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time

import tflogs

if __name__ == '__main__':
  tflogs.quiet()  # first, before TensorFlow loads and writes its start-up lines

from absl import flags  # noqa: E402

from datasets import files  # noqa: E402
from engine import benchmark, cli, inputs  # noqa: E402
from engine import flags as engine_flags  # noqa: E402
from engine import config as config_lib  # noqa: E402
from engine.config import ConfigError  # noqa: E402

DEFAULT_MODELS = 'resnet_v1_50,inception_v3,mobilenet_v1,vgg_16'


def define_flags():
  """bench.py's flags, defined when it runs (importing it for its functions, as the
  tests do, leaves absl's flags to other modules)."""
  flags.DEFINE_string('models', DEFAULT_MODELS, 'Models, comma-separated shell patterns, or '
                      '"all" (as `python -m nets list`).')
  flags.DEFINE_enum('mode', 'both', ['train', 'infer', 'both'], 'Training step, inference, or '
                    'both.')
  flags.DEFINE_integer('batch_size', 32, 'Images per step (per replica, as train.py\'s).')
  flags.DEFINE_integer('image_size', None, 'Input size (default: each model\'s).')
  flags.DEFINE_enum('precision', 'float32', list(benchmark.PRECISIONS), 'Compute dtype; '
                    'bfloat16 and float16 are mixed precision on float32 weights, for both.')
  flags.DEFINE_boolean('jit_compile', False, 'Compile both steps with XLA.')
  flags.DEFINE_enum('optimizer', 'rmsprop', ['rmsprop', 'momentum', 'sgd', 'adam'],
                    'The optimizer of both training steps (train.py\'s default: rmsprop).')
  flags.DEFINE_integer('repeats', 5, 'Timed repeats of each step, ours and the peer\'s '
                       'alternating.')
  flags.DEFINE_integer('warmup', 2, 'Untimed steps first (tracing, memory pools).')
  flags.DEFINE_boolean('peer', True, 'Measure the Keras 3 peer where keras.applications has '
                       'the net.')
  flags.DEFINE_boolean('pipeline', True, 'Measure the input pipeline of each model.')
  flags.DEFINE_string('output_dir', 'runs/bench', 'Where bench-<time>.csv and .json go ("" to '
                      'write none).')
  flags.DEFINE_list('only', ['models'], 'Which benches: models, scopes.')
  flags.DEFINE_integer('number', 2000, 'Calls per repeat of the scope benches.')
  engine_flags.define(tuple(row for row in engine_flags.TRAIN
                            if row.name in inputs.AUGMENTATION_FLAGS))
  flags.DEFINE_list('runtimes', [], 'With --mode=infer: compare these runtimes of the '
                    'exported model (%s; the first, tf, is the baseline) instead of ours '
                    'against Keras.' % ', '.join(benchmark.RUNTIMES))


FLAGS = flags.FLAGS

BENCH_MINIMUM = {'batch_size': 1, 'image_size': 32, 'repeats': 1, 'warmup': 1, 'number': 1}

# The CSV's columns and the JSON rows' keys, in order.
COLUMNS = ('model', 'mode', 'image_size', 'batch_size', 'precision', 'jit_compile',
           'images_per_sec', 'step_median_s', 'step_min_s', 'step_max_s',
           'peer', 'peer_images_per_sec', 'peer_step_median_s', 'peer_step_min_s',
           'peer_step_max_s', 'ratio', 'ratio_min', 'ratio_max', 'parameters', 'peer_parameters',
           'multiply_adds', 'gflops', 'peak_fraction', 'peak_rss_mib', 'peer_peak_rss_mib',
           'input_images_per_sec')


def select_models(pattern):
  """The registered image models `pattern` (--models) selects, in the registry's
  order. Video models (I3D, S3D-G) are left out: train.py takes images."""
  from nets import registry
  names = registry.list_models(pattern)
  unknown = [p for p in pattern.split(',') if p.strip() and not registry.list_models(p)]
  if unknown or not names:
    raise ConfigError('--models=%s: %s matches no model; known models: %s' % (
        pattern, ', '.join(unknown) or pattern, ', '.join(registry.list_models())))
  images = [name for name in names if not registry.get(name).input_frames]
  if not images:
    raise ConfigError('--models=%s: %s classify video clips; bench.py measures image '
                      'models, as train.py trains them' % (pattern, ', '.join(names)))
  return images


def check_flags(values):
  """Refuses values below BENCH_MINIMUM, --only names that are not benches, unknown
  --runtimes and --runtimes with training."""
  for key, least in BENCH_MINIMUM.items():
    if values[key] is not None and values[key] < least:
      raise ConfigError('--%s=%s: must be at least %d' % (key, values[key], least))
  unknown = sorted(set(values['only']) - set(BENCHES))
  if unknown:
    raise ConfigError('--only=%s: unknown bench %s; valid: %s' % (
        ','.join(values['only']), ', '.join(unknown), ', '.join(BENCHES)))
  runtimes = values.get('runtimes') or []
  unknown = [name for name in runtimes if name not in benchmark.RUNTIMES]
  if unknown:
    raise ConfigError('--runtimes=%s: unknown runtime %s; valid: %s' % (
        ','.join(runtimes), ', '.join(unknown), ', '.join(benchmark.RUNTIMES)))
  if runtimes and values.get('mode') not in ('infer', None):
    raise ConfigError('--runtimes compares inference: give --mode=infer, not --mode=%s'
                      % values['mode'])


def modes(mode):
  return ('train', 'infer') if mode == 'both' else (mode,)


def spread(seconds):
  """(median, min, max) of step times."""
  return statistics.median(seconds), min(seconds), max(seconds)


def interleave(workers, repeats, calls=1):
  """{label: [seconds per step]}: each repeat times every worker once (`calls` steps
  back to back), the order turning each repeat, so that the machine's drift falls on
  all alike."""
  times = {worker.label: [] for worker in workers}
  for repeat in range(repeats):
    turn = repeat % len(workers)
    for worker in workers[turn:] + workers[:turn]:
      times[worker.label].extend(worker.times(calls))
  return times


def result_row(model, mode, settings, facts, ours, peer=None, input_rate=None):
  """One row of COLUMNS from the measured step times (`ours`, `peer`: dicts with
  'seconds', 'peak_rss_mib', 'replicas'/'parameters', 'name') and the model's facts."""
  batch = settings['batch_size'] * ours.get('replicas', 1)
  median, low, high = spread(ours['seconds'])
  flops_per_image = facts['multiply_adds'] * 2 * (3 if mode == 'train' else 1)
  gflops = flops_per_image * batch / median / 1e9
  row = dict.fromkeys(COLUMNS)
  row.update(model=model, mode=mode, image_size=facts['image_size'], batch_size=batch,
             precision=settings['precision'], jit_compile=settings['jit_compile'],
             images_per_sec=batch / median, step_median_s=median, step_min_s=low,
             step_max_s=high, parameters=facts['parameters'],
             multiply_adds=facts['multiply_adds'], gflops=gflops,
             peak_fraction=gflops / settings['peak_gflops'], peak_rss_mib=ours['peak_rss_mib'],
             input_images_per_sec=input_rate)
  if peer:
    peer_median, peer_low, peer_high = spread(peer['seconds'])
    # Each repeat times ours and the peer back to back: their ratios show how far
    # the machine's drift (a VM's neighbours) moves the ratio of the medians.
    pairs = zip(ours['seconds'], peer['seconds'], strict=True)
    paired = [theirs / mine for mine, theirs in pairs]
    row.update(peer=peer['name'], peer_images_per_sec=batch / peer_median,
               peer_step_median_s=peer_median, peer_step_min_s=peer_low,
               peer_step_max_s=peer_high, ratio=peer_median / median,
               ratio_min=min(paired), ratio_max=max(paired),
               peer_parameters=peer['parameters'], peer_peak_rss_mib=peer['peak_rss_mib'])
  return row


def _number(value, form):
  return '-' if value is None else form % value


TABLE = (  # header, width, how a row shows it
    ('model', 24, lambda r: r['model']),
    ('mode', 5, lambda r: r['mode']),
    ('size', 4, lambda r: '%d' % r['image_size']),
    ('img/s', 7, lambda r: '%.1f' % r['images_per_sec']),
    ('step s (min-max)', 20, lambda r: '%.3f (%.3f-%.3f)' % (
        r['step_median_s'], r['step_min_s'], r['step_max_s'])),
    ('peer img/s', 10, lambda r: _number(r['peer_images_per_sec'], '%.1f')),
    ('peer step s', 11, lambda r: _number(r['peer_step_median_s'], '%.3f')),
    ('ours/peer (repeats)', 19, lambda r: '-' if r['ratio'] is None else '%.2fx (%.2f-%.2f)' % (
        r['ratio'], r['ratio_min'], r['ratio_max'])),
    ('params M', 8, lambda r: '%.2f' % (r['parameters'] / 1e6)),
    ('MAdds G', 7, lambda r: '%.2f' % (r['multiply_adds'] / 1e9)),
    ('GFLOP/s', 7, lambda r: '%.1f' % r['gflops']),
    ('% peak', 6, lambda r: '%.0f%%' % (100 * r['peak_fraction'])),
    ('RSS MiB', 7, lambda r: '%.0f' % r['peak_rss_mib']),
    ('peer RSS', 8, lambda r: _number(r['peer_peak_rss_mib'], '%.0f')),
    ('input img/s', 11, lambda r: _number(r['input_images_per_sec'], '%.1f')),
)


def format_table(rows, table=TABLE):
  """The rows as text: `table`'s columns (TABLE, or RUNTIME_TABLE for --runtimes)."""
  lines = ['  '.join('%-*s' % (width, header) for header, width, _ in table)]
  for row in rows:
    lines.append('  '.join('%-*s' % (width, show(row)) for _, width, show in table))
  return '\n'.join(line.rstrip() for line in lines)


def machine_description():
  """{cpu, cores, tensorflow, keras, onednn, python} of this machine and run."""
  import keras
  import tensorflow as tf
  cpu = platform.processor() or platform.machine()
  try:
    with open('/proc/cpuinfo') as f:
      cpu = next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
  except (OSError, StopIteration):
    pass
  gpus = [tf.config.experimental.get_device_details(d).get('device_name', d.name)
          for d in tf.config.list_physical_devices('GPU')]
  return {'cpu': cpu, 'cores': os.cpu_count(), 'gpus': gpus, 'tensorflow': tf.__version__,
          'keras': keras.__version__, 'python': platform.python_version(),
          'onednn': os.environ.get('TF_ENABLE_ONEDNN_OPTS')}


def write_results(report, output_dir, stamp, columns=COLUMNS):
  """<output_dir>/bench-<stamp>.json (the whole report) and .csv (the rows, `columns`),
  each written whole or not at all. Returns their paths."""
  import tensorflow as tf
  tf.io.gfile.makedirs(output_dir)  # gs:// as well as local, like the writer
  base = os.path.join(output_dir, 'bench-%s' % stamp)
  files.write_whole(base + '.json', json.dumps(report, indent=1, sort_keys=True))
  table = io.StringIO()
  writer = csv.DictWriter(table, fieldnames=columns)
  writer.writeheader()
  writer.writerows(report['results'])
  files.write_whole(base + '.csv', table.getvalue())
  return base + '.json', base + '.csv'


def _say(message):
  print(message, file=sys.stderr, flush=True)


def bench_models():
  if FLAGS.runtimes:
    return bench_runtimes()
  from nets import analysis, registry
  names = select_models(FLAGS.models)
  if FLAGS.output_dir:  # before the minutes of measuring that a bad folder would lose
    config_lib.writable_dir(FLAGS.output_dir, '--output_dir')
  # A bad augmentation flag stops here (settings), before minutes of measuring.
  augmentation = {name: FLAGS[name].value for name in inputs.AUGMENTATION_FLAGS}
  settings = dict(batch_size=FLAGS.batch_size, precision=FLAGS.precision,
                  jit_compile=FLAGS.jit_compile, optimizer=FLAGS.optimizer,
                  repeats=FLAGS.repeats, warmup=FLAGS.warmup,
                  input_augmentation=inputs.augmentation(augmentation).describe())
  machine = machine_description()
  _say('measuring the peak (%s 3x3 convolutions, matmul) ...' % FLAGS.precision)
  with benchmark.Worker('peak probes', benchmark.build_machine, warmup=2,
                        precision=FLAGS.precision) as probes:
    peak = probes.facts
  settings['peak_gflops'] = peak['peak_gflops']
  rows = []
  with tempfile.TemporaryDirectory(prefix='bench_') as scratch:
    if FLAGS.pipeline:
      benchmark.write_jpegs(scratch)
    for name in names:
      spec = registry.get(name)
      size = FLAGS.image_size or spec.default_image_size
      graph, _ = analysis.build(name, image_size=size)
      facts = {'image_size': size, 'num_classes': spec.num_classes,
               'parameters': analysis.count_parameters(graph),
               'multiply_adds': analysis.count_multiply_adds(graph)}
      del graph
      config = engine_flags.defaults(
          engine_flags.COMMON, engine_flags.TRAIN, model_name=name,
          batch_size=FLAGS.batch_size, train_image_size=size, jit_compile=FLAGS.jit_compile,
          mixed_precision='none' if FLAGS.precision == 'float32' else FLAGS.precision,
          optimizer=FLAGS.optimizer, train_dir=os.path.join(scratch, 'train_dir'))
      for mode in modes(FLAGS.mode):
        rows.append(_bench_model(name, mode, config, facts, settings, scratch, augmentation))
        _say(format_table(rows[-1:]).split('\n')[-1])
  report = {'machine': machine, 'settings': settings, 'peak': peak, 'results': rows,
            'command': ' '.join(['python', 'bench.py'] + sys.argv[1:])}
  print('\n%s, %d cores; TensorFlow %s, Keras %s; oneDNN %s; %s, batch %d%s' % (
      machine['cpu'], machine['cores'], machine['tensorflow'], machine['keras'],
      'on' if machine['onednn'] != '0' else 'off', FLAGS.precision, FLAGS.batch_size,
      ', XLA' if FLAGS.jit_compile else ''))
  print('peak: %s 3x3 convolution %.1f GFLOP/s (%s), matmul %d^2 %.1f GFLOP/s' % (
      FLAGS.precision, peak['peak_gflops'],
      ', '.join('%s %.0f' % kv for kv in peak['conv_gflops'].items()),
      benchmark.MATMUL_PROBE, peak['matmul_gflops']))
  print(format_table(rows))
  if FLAGS.output_dir:
    paths = write_results(report, FLAGS.output_dir, time.strftime('%Y%m%d-%H%M%S'))
    print('results: %s' % ', '.join(paths))
  return report


def _bench_model(name, mode, config, facts, settings, scratch, augmentation=None):
  peer_name = benchmark.PEERS.get(name, (None,))[0] if FLAGS.peer else None
  workers = []
  try:
    workers.append(benchmark.Worker('ours %s %s' % (name, mode), benchmark.build_ours,
                                    config=config, mode=mode, warmup=FLAGS.warmup))
    if peer_name:
      workers.append(benchmark.Worker(
          'Keras %s %s' % (peer_name, mode), benchmark.build_peer, model=name, mode=mode,
          batch_size=FLAGS.batch_size, image_size=facts['image_size'],
          num_classes=facts['num_classes'], precision=FLAGS.precision,
          jit_compile=FLAGS.jit_compile, optimizer=benchmark.peer_optimizer(config),
          warmup=FLAGS.warmup))
    times = interleave(workers, FLAGS.repeats)
    measured = [dict(worker.facts, seconds=times[worker.label],
                     peak_rss_mib=worker.peak_rss_mib()) for worker in workers]
  finally:
    for worker in workers:
      worker.close()
  if peer_name:
    measured[1]['name'] = peer_name
  input_rate = None
  if FLAGS.pipeline:
    with benchmark.Worker('input pipeline of %s' % name, benchmark.build_pipeline, model=name,
                          mode=mode, batch_size=FLAGS.batch_size,
                          image_size=facts['image_size'], warmup=FLAGS.warmup,
                          directory=scratch, augmentation=augmentation) as pipeline:
      seconds = pipeline.times(10)
      input_rate = FLAGS.batch_size * len(seconds) / sum(seconds)
  return result_row(name, mode, settings, facts, measured[0],
                    measured[1] if peer_name else None, input_rate)


# The CSV's columns and the JSON rows' keys of --runtimes, in order.
RUNTIME_COLUMNS = ('model', 'runtime', 'format', 'quantize', 'image_size', 'latency_median_ms',
                   'latency_min_ms', 'latency_max_ms', 'latency_ratio', 'batch_size',
                   'images_per_sec', 'step_median_s', 'step_min_s', 'step_max_s',
                   'throughput_ratio', 'model_mib', 'peak_rss_mib')

LATENCY_CALLS = 10  # batch-1 calls per runtime per repeat: one call is milliseconds


def runtime_rows(model, image_size, batch_size, measured):
  """Rows of RUNTIME_COLUMNS from {runtime: {'latency': [s], 'throughput': [s], facts}}
  (in the order given), with ratios to the baseline runtime's medians when it was
  measured."""
  medians = {name: (statistics.median(m['latency']), statistics.median(m['throughput']))
             for name, m in measured.items()}
  base = medians.get(benchmark.BASELINE_RUNTIME)
  rows = []
  for name, m in measured.items():
    latency, step = medians[name]
    row = dict.fromkeys(RUNTIME_COLUMNS)
    row.update(model=model, runtime=name, format=m['format'], quantize=m['quantize'],
               image_size=image_size, latency_median_ms=1e3 * latency,
               latency_min_ms=1e3 * min(m['latency']), latency_max_ms=1e3 * max(m['latency']),
               batch_size=batch_size, images_per_sec=batch_size / step, step_median_s=step,
               step_min_s=min(m['throughput']), step_max_s=max(m['throughput']),
               model_mib=m['model_mib'], peak_rss_mib=m['peak_rss_mib'])
    if base:
      row.update(latency_ratio=latency / base[0], throughput_ratio=base[1] / step)
    rows.append(row)
  return rows


RUNTIME_TABLE = (  # header, width, how a row shows it
    ('model', 16, lambda r: r['model']),
    ('runtime', 14, lambda r: r['runtime']),
    ('size', 4, lambda r: '%d' % r['image_size']),
    ('batch 1 ms (min-max)', 22, lambda r: '%.2f (%.2f-%.2f)' % (
        r['latency_median_ms'], r['latency_min_ms'], r['latency_max_ms'])),
    ('x tf', 5, lambda r: _number(r['latency_ratio'], '%.2f')),
    ('batch', 5, lambda r: '%d' % r['batch_size']),
    ('img/s', 7, lambda r: '%.1f' % r['images_per_sec']),
    ('x tf', 5, lambda r: _number(r['throughput_ratio'], '%.2f')),
    ('MiB', 6, lambda r: '%.1f' % r['model_mib']),
    ('RSS MiB', 7, lambda r: '%.0f' % r['peak_rss_mib']),
)


def bench_runtimes():
  """--runtimes: each model exported for every runtime, then batch-1 latency and
  --batch_size throughput of each, interleaved, against the TensorFlow SavedModel."""
  from nets import registry
  names = select_models(FLAGS.models)
  if FLAGS.output_dir:
    config_lib.writable_dir(FLAGS.output_dir, '--output_dir')
  runtimes = list(dict.fromkeys(FLAGS.runtimes))
  batch_sizes = sorted({1, FLAGS.batch_size})
  settings = dict(batch_size=FLAGS.batch_size, runtimes=runtimes, repeats=FLAGS.repeats,
                  warmup=FLAGS.warmup, latency_calls=LATENCY_CALLS,
                  calibration='%d images of %s' % (benchmark.CALIBRATION_IMAGES,
                                                  benchmark.CALIBRATION_DATASET),
                  weights='random')
  machine = machine_description()
  rows = []
  with tempfile.TemporaryDirectory(prefix='bench_') as scratch:
    for name in names:
      size = FLAGS.image_size or registry.get(name).default_image_size
      _say('exporting %s (%s) ...' % (name, ', '.join(runtimes)))
      with benchmark.Worker('exports of %s' % name, benchmark.build_exports, model=name,
                            image_size=size, runtimes=runtimes, batch_sizes=batch_sizes,
                            directory=scratch) as exports:
        paths = exports.facts
      measured = {runtime: {} for runtime in runtimes}
      for batch_size, key in ((1, 'latency'), (FLAGS.batch_size, 'throughput')):
        workers = []
        try:
          for runtime in runtimes:
            workers.append(benchmark.Worker(
                '%s %s batch %d' % (runtime, name, batch_size), benchmark.build_runtime,
                path=paths[runtime][batch_size], batch_size=batch_size, warmup=FLAGS.warmup))
          times = interleave(workers, FLAGS.repeats, LATENCY_CALLS if batch_size == 1 else 1)
          for runtime, worker in zip(runtimes, workers, strict=True):
            rss = max(measured[runtime].get('peak_rss_mib', 0), worker.peak_rss_mib())
            measured[runtime].update(worker.facts, peak_rss_mib=rss)
            measured[runtime][key] = times[worker.label]
        finally:
          for worker in workers:
            worker.close()
      rows.extend(runtime_rows(name, size, FLAGS.batch_size, measured))
      _say(format_table(rows[-len(runtimes):], RUNTIME_TABLE))
  report = {'machine': machine, 'settings': settings, 'results': rows,
            'command': ' '.join(['python', 'bench.py'] + sys.argv[1:])}
  print('\n%s, %d cores; TensorFlow %s; runtimes\' threads: %d; random weights, int8 '
        'calibrated on %s' % (machine['cpu'], machine['cores'], machine['tensorflow'],
                              os.cpu_count(), settings['calibration']))
  print(format_table(rows, RUNTIME_TABLE))
  if FLAGS.output_dir:
    paths = write_results(report, FLAGS.output_dir, time.strftime('%Y%m%d-%H%M%S'),
                          RUNTIME_COLUMNS)
    print('results: %s' % ', '.join(paths))
  return report


def bench_scopes():
  """arg_scope against tf_slim.arg_scope, and a Keras layer built under a scope
  against the same layer built plainly: what our checks and armed constructors
  cost. ratio = ours / peer time (lower is better)."""
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

  def timed(fn, number):
    start = time.perf_counter()
    for _ in range(number):
      fn()
    return (time.perf_counter() - start) / number

  benches = [('arg_scope enter + call', ours_scope, peer_scope, FLAGS.number),
             ('Keras Dense under scope', ours_layer, peer_layer, max(1, FLAGS.number // 20))]
  print('%-26s %12s %12s %7s' % ('benchmark', 'ours (us)', 'peer (us)', 'ratio'))
  for name, ours, peer, number in benches:
    pairs = [(timed(ours, number), timed(peer, number)) for _ in range(FLAGS.repeats)]
    a, b = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
    print('%-26s %12.2f %12.2f %7.2f' % (name, a * 1e6, b * 1e6, a / b))


BENCHES = {'models': bench_models, 'scopes': bench_scopes}


def main(argv):
  if len(argv) > 1:
    raise ConfigError('unexpected arguments %s; flags start with --' % ' '.join(argv[1:]))
  check_flags(dict({key: FLAGS[key].value for key in list(BENCH_MINIMUM) + ['only']},
                   runtimes=FLAGS.runtimes, mode=FLAGS.mode if FLAGS['mode'].present else None))
  for name in FLAGS.only:
    BENCHES[name]()


if __name__ == '__main__':
  define_flags()
  cli.run(main, 'bench.py', extra_errors=(benchmark.BenchError,))
