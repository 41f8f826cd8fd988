"""bench.py: its flags, its measurement processes and its outputs (never its timings)."""

import csv
import json
import os

import pytest

import bench
from engine import benchmark, flags
from engine.config import ConfigError
from nets import registry
from tests.binaries import run_binary


def test_models_take_names_patterns_and_all():
  assert bench.select_models('resnet_v1_5*,vgg_16') == ['resnet_v1_50', 'vgg_16']
  assert bench.select_models('all') == [n for n in registry.list_models()
                                         if n not in ('i3d', 's3dg')]
  with pytest.raises(ConfigError, match='--models=i3d: i3d classify video clips'):
    bench.select_models('i3d')
  with pytest.raises(ConfigError, match=r'--models=vgg_16,resnet_v9: resnet_v9 matches no '
                                        r'model; known models: alexnet_v2'):
    bench.select_models('vgg_16,resnet_v9')


def test_flag_values_are_checked_by_name():
  good = dict(batch_size=32, image_size=None, repeats=5, warmup=2, number=10, only=['models'])
  bench.check_flags(good)
  with pytest.raises(ConfigError, match='--batch_size=0: must be at least 1'):
    bench.check_flags(dict(good, batch_size=0))
  with pytest.raises(ConfigError, match='--image_size=16: must be at least 32'):
    bench.check_flags(dict(good, image_size=16))
  with pytest.raises(ConfigError, match='--only=models,speed: unknown bench speed; valid: '
                                        'models, scopes'):
    bench.check_flags(dict(good, only=['models', 'speed']))
  assert bench.modes('both') == ('train', 'infer') and bench.modes('infer') == ('infer',)


def test_every_peer_is_a_registered_model_and_a_keras_application():
  import keras
  for name, (class_name, _) in benchmark.PEERS.items():
    registry.get(name)
    assert callable(getattr(keras.applications, class_name)), class_name
  for name in ('resnet_v1_50', 'inception_v3', 'mobilenet_v1', 'vgg_16'):
    assert name in benchmark.PEERS


def test_the_peer_gets_train_pys_optimizer():
  defaults = flags.defaults(flags.COMMON, flags.TRAIN)
  assert benchmark.peer_optimizer(defaults) == ('RMSprop', dict(
      learning_rate=0.01, rho=0.9, momentum=0.9, epsilon=1.0))
  assert benchmark.peer_optimizer(dict(defaults, optimizer='momentum')) == (
      'SGD', dict(learning_rate=0.01, momentum=0.9))
  with pytest.raises(benchmark.BenchError, match='--optimizer=ftrl has no Keras 3 peer'):
    benchmark.peer_optimizer(dict(defaults, optimizer='ftrl'))


class _FakeWorker:
  def __init__(self, label, seconds, calls):
    self.label, self._seconds, self._calls = label, seconds, calls

  def times(self, count):
    self._calls.append(self.label)
    return [self._seconds] * count


def test_repeats_alternate_and_turn():
  calls = []
  workers = [_FakeWorker('ours', 1.0, calls), _FakeWorker('peer', 2.0, calls)]
  times = bench.interleave(workers, 3)
  assert calls == ['ours', 'peer', 'peer', 'ours', 'ours', 'peer']
  assert times == {'ours': [1.0, 1.0, 1.0], 'peer': [2.0, 2.0, 2.0]}


def _row():
  settings = dict(batch_size=32, precision='float32', jit_compile=False, peak_gflops=100.0)
  facts = dict(image_size=224, num_classes=1000, parameters=25_000_000,
               multiply_adds=4_000_000_000)
  ours = dict(seconds=[8.0, 7.0, 9.0], peak_rss_mib=3000.0, replicas=1)
  peer = dict(seconds=[11.0, 10.0, 12.0], peak_rss_mib=3500.0, parameters=25_500_000,
              name='ResNet50')
  return bench.result_row('resnet_v1_50', 'train', settings, facts, ours, peer, 120.0)


def test_a_row_holds_rates_ratios_and_the_peak_fraction():
  row = _row()
  assert list(row) == list(bench.COLUMNS)
  assert row['images_per_sec'] == 32 / 8.0 and row['peer_images_per_sec'] == 32 / 11.0
  assert (row['step_median_s'], row['step_min_s'], row['step_max_s']) == (8.0, 7.0, 9.0)
  assert row['ratio'] == pytest.approx(11.0 / 8.0)
  # Repeat by repeat: 11/8, 10/7, 12/9.
  assert (row['ratio_min'], row['ratio_max']) == pytest.approx((12.0 / 9.0, 10.0 / 7.0))
  # Training: multiply-adds x 2 (a multiply and an add) x 3 (forward, two backward).
  assert row['gflops'] == pytest.approx(4e9 * 6 * 32 / 8.0 / 1e9)
  assert row['peak_fraction'] == pytest.approx(row['gflops'] / 100.0)
  infer = bench.result_row('vgg_16', 'infer', dict(batch_size=2, precision='float32',
                                                    jit_compile=False, peak_gflops=10.0),
                           dict(image_size=32, parameters=1, multiply_adds=10 ** 9),
                           dict(seconds=[1.0], peak_rss_mib=10.0))
  assert infer['gflops'] == pytest.approx(2.0 * 2) and infer['ratio'] is None


def test_the_table_shows_every_column_and_dashes_for_a_missing_peer():
  row = _row()
  lonely = dict(row, model='inception_v4', peer=None, peer_images_per_sec=None,
                peer_step_median_s=None, ratio=None, peer_peak_rss_mib=None)
  lines = bench.format_table([row, lonely]).split('\n')
  assert lines[0].split()[:4] == ['model', 'mode', 'size', 'img/s']
  assert 'ours/peer' in lines[0] and '% peak' in lines[0] and 'input img/s' in lines[0]
  assert lines[1].split() == ['resnet_v1_50', 'train', '224', '4.0', '8.000', '(7.000-9.000)',
                              '2.9', '11.000', '1.38x', '(1.33-1.43)', '25.00', '4.00', '96.0',
                              '96%', '3000', '3500', '120.0']
  assert lines[2].split()[6:9] == ['-', '-', '-']


def test_results_go_to_csv_and_json_without_replacing_earlier_runs(tmp_path):
  report = {'machine': {'cpu': 'x'}, 'settings': {}, 'peak': {}, 'results': [_row()]}
  json_path, csv_path = bench.write_results(report, str(tmp_path / 'out'), '1')
  bench.write_results(report, str(tmp_path / 'out'), '2')
  assert sorted(os.listdir(tmp_path / 'out')) == ['bench-1.csv', 'bench-1.json', 'bench-2.csv',
                                                  'bench-2.json']
  with open(json_path) as f:
    assert json.load(f)['results'][0]['ratio'] == pytest.approx(11.0 / 8.0)
  with open(csv_path) as f:
    rows = list(csv.DictReader(f))
  assert list(rows[0]) == list(bench.COLUMNS) and rows[0]['peer'] == 'ResNet50'


def test_a_failed_measurement_names_its_process():
  with pytest.raises(benchmark.BenchError, match=r"^ours nope: UnknownModelError: unknown "
                                                 r"model 'nope'"):
    benchmark.Worker('ours nope', benchmark.build_ours, config={'model_name': 'nope'},
                     mode='train', warmup=1)


def test_bench_measures_ours_and_the_peer_end_to_end(tmp_path):
  done = run_binary('bench.py', '--models=mobilenet_v3_small', '--image_size=32',
                    '--batch_size=2', '--repeats=2', '--warmup=1',
                    '--output_dir=%s' % tmp_path)
  assert done.returncode == 0, done.stderr[-3000:]
  assert 'peak: float32 3x3 convolution' in done.stdout
  table = done.stdout[done.stdout.index('model '):].split('\n')
  train, infer = (line.split() for line in table[1:3])
  assert train[:3] == ['mobilenet_v3_small', 'train', '32']
  assert infer[:3] == ['mobilenet_v3_small', 'infer', '32']
  (name,) = [n for n in os.listdir(tmp_path) if n.endswith('.json')]
  with open(tmp_path / name) as f:
    report = json.load(f)
  rows = report['results']
  assert [r['mode'] for r in rows] == ['train', 'infer']
  for row in rows:
    assert row['peer'] == 'MobileNetV3Small' and row['ratio'] > 0
    assert row['images_per_sec'] > 0 and row['input_images_per_sec'] > 0
    assert row['peak_rss_mib'] > 100 and row['peer_peak_rss_mib'] > 100
    assert row['parameters'] == registry_parameters('mobilenet_v3_small')
  assert report['peak']['peak_gflops'] == max(report['peak']['conv_gflops'].values())


def registry_parameters(name):
  from nets import analysis
  return analysis.count_parameters(analysis.build(name, image_size=32)[0])


def test_bench_runs_mixed_precision_and_xla_without_a_peer(tmp_path):
  done = run_binary('bench.py', '--models=lenet', '--mode=train', '--batch_size=2',
                    '--repeats=1', '--warmup=1', '--precision=bfloat16', '--jit_compile',
                    '--pipeline=false', '--output_dir=%s' % tmp_path)
  assert done.returncode == 0, done.stderr[-3000:]
  assert 'bfloat16, batch 2, XLA' in done.stdout
  row = done.stdout[done.stdout.index('model '):].split('\n')[1].split()
  assert row[:3] == ['lenet', 'train', '28'] and row[6:9] == ['-', '-', '-']


@pytest.mark.parametrize('args, message', [
    (['--models=resnet_v9'], '--models=resnet_v9: resnet_v9 matches no model'),
    (['--batch_size=0'], '--batch_size=0: must be at least 1'),
    (['--precision=float8'], 'float8'),
    (['--output_dir=/proc/scopezoo_bench'], '--output_dir=/proc/scopezoo_bench cannot be written'),
])
def test_bad_flags_are_one_line(args, message):
  done = run_binary('bench.py', *args)
  assert done.returncode != 0 and 'Traceback' not in done.stderr, done.stderr[-2000:]
  # Ours is the last line; absl's own flag errors add a line on --helpfull.
  assert any(message in line for line in done.stderr.strip().splitlines()[-2:]), done.stderr


def test_runtimes_are_checked_by_name():
  good = dict(batch_size=32, image_size=None, repeats=5, warmup=2, number=10, only=['models'])
  bench.check_flags(dict(good, runtimes=['tf', 'tflite_int8'], mode='infer'))
  with pytest.raises(ConfigError, match='--runtimes=tf,tensorrt: unknown runtime tensorrt; '
                                        'valid: tf, tflite, tflite_float16'):
    bench.check_flags(dict(good, runtimes=['tf', 'tensorrt'], mode=None))
  with pytest.raises(ConfigError, match='--runtimes compares inference: give --mode=infer, '
                                        'not --mode=train'):
    bench.check_flags(dict(good, runtimes=['tf'], mode='train'))


def test_runtime_rows_hold_ratios_to_the_tensorflow_baseline():
  facts = dict(format='tflite', quantize='none', model_mib=4.0, peak_rss_mib=500.0)
  measured = {'tf': dict(facts, format='saved_model', latency=[0.004, 0.002, 0.003],
                         throughput=[0.1, 0.2]),
              'tflite': dict(facts, latency=[0.001, 0.0015, 0.002], throughput=[0.05])}
  tf_row, tflite_row = bench.runtime_rows('lenet', 28, 32, measured)
  assert list(tflite_row) == list(bench.RUNTIME_COLUMNS)
  assert tf_row['latency_median_ms'] == pytest.approx(3.0) and tf_row['latency_ratio'] == 1.0
  assert (tflite_row['latency_min_ms'], tflite_row['latency_max_ms']) == pytest.approx((1, 2))
  assert tflite_row['latency_ratio'] == pytest.approx(1.5 / 3.0)
  assert tflite_row['images_per_sec'] == pytest.approx(32 / 0.05)
  assert tflite_row['throughput_ratio'] == pytest.approx(0.15 / 0.05)
  alone = bench.runtime_rows('lenet', 28, 32, {'tflite': measured['tflite']})[0]
  assert alone['latency_ratio'] is None and alone['throughput_ratio'] is None
  lines = bench.format_table([tf_row, tflite_row, alone], bench.RUNTIME_TABLE).split('\n')
  assert lines[1].split()[:6] == ['lenet', 'tf', '28', '3.00', '(2.00-4.00)', '1.00']
  assert lines[3].split()[5] == '-'


def test_bench_compares_the_runtimes_of_an_export(tmp_path):
  done = run_binary('bench.py', '--models=lenet', '--mode=infer', '--runtimes=tf,tflite_int8',
                    '--batch_size=2', '--repeats=1', '--warmup=1', '--output_dir=%s' % tmp_path)
  assert done.returncode == 0, done.stderr[-3000:]
  assert 'int8 calibrated on 32 images of digits' in done.stdout
  table = done.stdout[done.stdout.index('model '):].split('\n')
  assert table[0].split()[:4] == ['model', 'runtime', 'size', 'batch']
  assert [line.split()[:3] for line in table[1:3]] == [['lenet', 'tf', '28'],
                                                       ['lenet', 'tflite_int8', '28']]
  (name,) = [n for n in os.listdir(tmp_path) if n.endswith('.json')]
  with open(tmp_path / name) as f:
    report = json.load(f)
  tf_row, int8_row = report['results']
  assert (tf_row['format'], int8_row['format'], int8_row['quantize']) == (
      'saved_model', 'tflite', 'int8_full')
  assert tf_row['latency_ratio'] == 1.0 and int8_row['latency_ratio'] > 0
  for row in report['results']:
    assert row['batch_size'] == 2 and row['images_per_sec'] > 0 and row['model_mib'] > 0
    assert 0 < row['latency_min_ms'] <= row['latency_median_ms'] <= row['latency_max_ms']
  assert int8_row['model_mib'] < tf_row['model_mib'] / 3  # 8-bit weights
  assert report['settings']['weights'] == 'random' and report['machine']['cores'] > 0
  (csv_name,) = [n for n in os.listdir(tmp_path) if n.endswith('.csv')]
  with open(tmp_path / csv_name) as f:
    assert list(next(csv.DictReader(f))) == list(bench.RUNTIME_COLUMNS)
