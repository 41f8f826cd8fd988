"""The flags of train.py and eval.py as tables, with TF-Slim's names and meanings.

Each row is a `Flag(kind, name, default, help[, values of an enum])`. `define(*tables)`
defines them with absl; `resolve(tables)` returns the config of defaults < the --config
recipe < the command line. A recipe may hold keys of the other binary (one recipe serves
train.py and eval.py); other unknown keys are errors.
"""

import collections

from absl import flags

from engine import config as config_lib
from engine import exporting, optimizers, strategies, tflite_export
from preprocessing import image_ops

# kind: string, integer, float, boolean or enum (whose `values` are the choices).
Flag = collections.namedtuple('Flag', 'kind name default help values', defaults=(None,))

COMMON = (
    Flag('string', 'config', None, 'A YAML recipe (configs/*.yaml): flag names to values, plus '
         '"scope:" for the arg_scope parameters.'),
    Flag('string', 'model_name', 'inception_v3', 'The registered model (python -m nets list).'),
    Flag('string', 'dataset_name', None, 'imagenet, flowers, cifar10, mnist, digits, or the shard '
         'prefix in --dataset_dir. Default: the embedded digits.'),
    Flag('string', 'dataset_split_name', None, 'The split (default: train for train.py, '
         'validation or test for eval.py).'),
    Flag('string', 'dataset_dir', None, 'The directory of the shards and labels.txt.'),
    Flag('integer', 'labels_offset', None, 'Subtracted from the labels (default: 1 for a '
         '1000-class model on a dataset with a background class, else 0).'),
    Flag('integer', 'num_classes', None, 'Classes of the classifier (default: the dataset\'s).'),
    Flag('string', 'preprocessing_name', None, 'Preprocessing (default: the model\'s).'),
    Flag('integer', 'batch_size', 32, 'Examples per replica per step.'),
    Flag('boolean', 'skip_bad_records', False, 'Skip bad records (and count them) instead of '
         'stopping.'),
    Flag('float', 'weight_decay', None, 'L2 weight decay of the arg_scope (default: the model\'s '
         'own).'),
    Flag('enum', 'mixed_precision', 'none', 'Compute in bfloat16 or float16 on float32 weights '
         '(float16 with dynamic loss scaling).', ('none', 'bfloat16', 'float16')),
    Flag('float', 'moving_average_decay', None, 'train.py: keep a moving average of the weights '
         'with this decay; eval.py, export.py, predict.py: use the averages.'),
    Flag('string', 'checkpoint_path', None, 'train.py: warm start from this checkpoint when '
         'train_dir holds none; eval.py, export.py, predict.py: the checkpoint to read. '
         'TF-Slim\'s or ours, a file prefix or a directory (its latest).'),
)

TRAIN = (
    Flag('string', 'train_dir', None, 'Checkpoints, summaries and config.yaml go here (default: '
         'runs/<model_name>). A run already there is resumed.'),
    Flag('enum', 'strategy', 'auto', 'The tf.distribute strategy.', strategies.NAMES),
    Flag('integer', 'train_image_size', None, 'Input size (default: the model\'s).'),
    Flag('integer', 'seed', None, 'tf.random.set_seed(seed) and the shuffle seed of the input '
         'files and records: initial weights, dropout, random distortions and the input order '
         'repeat, and the input pipeline runs deterministically (default: unseeded).'),
    Flag('float', 'label_smoothing', 0.0, 'Label smoothing (of the mixed labels too, as timm\'s '
         'Mixup smooths).'),
    Flag('string', 'randaugment', None, 'N,M: RandAugment, N operations per training image at '
         'magnitude M (0..30; 10 is the paper\'s strongest), e.g. 2,9.'),
    Flag('string', 'autoaugment', None, 'AutoAugment policy per training image: v0 (the '
         'paper\'s ImageNet policy). Instead of --randaugment.'),
    Flag('float', 'random_erasing', 0.0, 'Probability of erasing a random rectangle of each '
         'training image (random pixel values; 0: off).'),
    Flag('float', 'mixup_alpha', 0.0, 'Mixup of each batch with weight ~ Beta(alpha, alpha) and '
         'soft labels (0: off).'),
    Flag('float', 'cutmix_alpha', 0.0, 'CutMix of each batch with weight ~ Beta(alpha, alpha) '
         'and soft labels (0: off).'),
    Flag('float', 'mix_prob', 1.0, 'Probability that a batch is mixed (Mixup or CutMix).'),
    Flag('float', 'mix_switch_prob', 0.5, 'With both alphas: probability of CutMix instead of '
         'Mixup for a batch.'),
    Flag('enum', 'optimizer', 'rmsprop', 'The optimizer.', optimizers.OPTIMIZERS),
    Flag('float', 'learning_rate', 0.01, 'Initial learning rate.'),
    Flag('float', 'learning_rate_per_256', None, 'Instead of --learning_rate: the rate per 256 '
         'images of the global batch (replicas x batch_size x gradient_accumulation_steps); '
         'config.yaml shows the learning_rate it computes.'),
    Flag('enum', 'learning_rate_decay_type', 'exponential', 'How the learning rate decays.',
         optimizers.SCHEDULES),
    Flag('float', 'learning_rate_decay_factor', 0.94, 'Exponential decay factor.'),
    Flag('float', 'num_epochs_per_decay', 2.0, 'Epochs per exponential decay step, or of the '
         'polynomial decay.'),
    Flag('float', 'end_learning_rate', 0.0001, 'Final rate of polynomial and cosine decay.'),
    Flag('string', 'learning_rate_boundaries', None, 'multistep: comma-separated epochs at '
         'which the rate is multiplied by --learning_rate_factor, e.g. 30,60,80.'),
    Flag('float', 'learning_rate_factor', 0.1, 'step and multistep: the factor at each '
         'boundary (step: every --num_epochs_per_decay epochs).'),
    Flag('float', 'warmup_epochs', 0.0, 'Linear warm-up from 0, in epochs.'),
    Flag('float', 'cooldown_epochs', 0.0, 'Hold the rate the decay reached for these last '
         'epochs of the run (needs --max_number_of_steps).'),
    Flag('integer', 'gradient_accumulation_steps', 1, 'Micro-batches of --batch_size per '
         'replica summed into one update; steps count updates.'),
    Flag('float', 'dropout_keep_prob', None, 'Keep probability of the net\'s dropout '
         '(default: the model\'s own).'),
    Flag('float', 'drop_path_keep_prob', None, 'NASNet and PNASNet: keep probability of drop '
         'path, ramped over the run (default: the model\'s config).'),
    Flag('float', 'clip_gradient_norm', 0.0, 'Clip gradients to this global norm (0: off).'),
    Flag('float', 'adadelta_rho', 0.95, 'Adadelta decay.'),
    Flag('float', 'adagrad_initial_accumulator_value', 0.1, 'Adagrad initial accumulator.'),
    Flag('float', 'adam_beta1', 0.9, 'Adam and AdamW beta1.'),
    Flag('float', 'adam_beta2', 0.999, 'Adam and AdamW beta2.'),
    Flag('float', 'adamw_weight_decay', 0.004, 'AdamW decoupled weight decay.'),
    Flag('float', 'opt_epsilon', 1.0, 'Epsilon of rmsprop, adam, adamw and adadelta.'),
    Flag('float', 'ftrl_learning_rate_power', -0.5, 'FTRL learning rate power.'),
    Flag('float', 'ftrl_initial_accumulator_value', 0.1, 'FTRL initial accumulator.'),
    Flag('float', 'ftrl_l1', 0.0, 'FTRL L1 regularization.'),
    Flag('float', 'ftrl_l2', 0.0, 'FTRL L2 regularization.'),
    Flag('float', 'momentum', 0.9, 'Momentum of the momentum optimizer.'),
    Flag('float', 'rmsprop_momentum', 0.9, 'RMSProp momentum.'),
    Flag('float', 'rmsprop_decay', 0.9, 'RMSProp decay.'),
    Flag('integer', 'max_number_of_steps', None, 'Stop after this many steps (default: forever; '
         'one epoch of the demo dataset).'),
    Flag('boolean', 'jit_compile', False, 'Compile the training step with XLA.'),
    Flag('string', 'checkpoint_exclude_scopes', None, 'Comma-separated scopes not to restore '
         '(default: the logits scopes when the classes differ).'),
    Flag('string', 'trainable_scopes', None, 'Comma-separated scopes to train (default: all).'),
    Flag('boolean', 'ignore_missing_vars', False, 'Leave variables missing from the checkpoint '
         'new instead of failing.'),
    Flag('integer', 'quantize_delay', -1, 'Quantization-aware training (int8 weights and '
         'activations, batch norm folded) from this step on, ranges learned from step 0 (-1: '
         'off). eval.py and export.py quantize a checkpoint that holds the ranges.'),
    Flag('integer', 'log_every_n_steps', 10, 'A progress line every n steps.'),
    Flag('integer', 'save_summaries_secs', 600, 'TensorBoard summaries every n seconds.'),
    Flag('integer', 'save_interval_secs', 600, 'A checkpoint every n seconds.'),
    Flag('integer', 'save_interval_steps', 0, 'Also a checkpoint every n steps (0: off).'),
    Flag('integer', 'keep_checkpoint_max', 5, 'Checkpoints kept.'),
)

EVAL = (
    Flag('string', 'eval_dir', None, 'Summaries and results.json go here (default: '
         '<checkpoint directory>/eval).'),
    Flag('integer', 'eval_image_size', None, 'Input size (default: the model\'s).'),
    Flag('float', 'eval_central_fraction', None, 'The central crop\'s fraction of each side '
         '(vgg: of the smaller side, resized to the input size / the fraction). Default: the '
         'preprocessing\'s own: inception 0.875, vgg a 256-pixel side (0.875 at 224). lenet and '
         'cifarnet crop or pad to the size and refuse it.'),
    Flag('enum', 'eval_resize_method', None, 'The resize of the inception and vgg preprocessing '
         '(default: bilinear); lenet and cifarnet do not resize and refuse it.',
         image_ops.RESIZE_METHODS),
    Flag('boolean', 'eval_flip', False, 'Average the logits of each image and of its mirror '
         'image.'),
    Flag('integer', 'max_num_batches', None, 'Evaluate only this many batches (default: the whole '
         'split).'),
    Flag('integer', 'eval_interval_secs', 0, 'Evaluate each new checkpoint of --checkpoint_path '
         '(a directory), at most this often (0: once).'),
    Flag('integer', 'eval_timeout_secs', None, 'With --eval_interval_secs: stop after waiting '
         'this long for a new checkpoint.'),
    Flag('integer', 'max_number_of_evaluations', None, 'With --eval_interval_secs: stop after '
         'this many.'),
)

SERVE = (
    Flag('string', 'labels_file', None, 'A labels.txt (TF-Slim\'s id:name lines) naming the '
         'classes (default: the dataset\'s, else the class numbers).'),
    Flag('integer', 'image_size', None, 'Input size (default: the training run\'s, else the '
         'model\'s).'),
    Flag('integer', 'top_k', 5, 'Classes reported per image.'),
)

EXPORT = (
    Flag('string', 'export_dir', None, 'The directory to write: the model, labels.txt and '
         'config.yaml.'),
    Flag('enum', 'format', 'saved_model', 'What --export_dir holds: a SavedModel, TF-Slim\'s '
         'frozen GraphDef, a TensorFlow Lite or an ONNX model.',
         exporting.FORMATS),
    Flag('string', 'frozen_graph', None, 'Also write TF-Slim\'s frozen inference GraphDef (.pb) '
         'here: preprocessed images at node "input", outputs "logits" and "probabilities".'),
    Flag('boolean', 'overwrite', False, 'Replace an existing --export_dir or --frozen_graph.'),
    Flag('enum', 'quantize', 'none', 'tflite: float16 or int8 (dynamic) weights, int8 weights '
         'and activations (int8, float where an op has no int8 kernel), or every op int8 with '
         '8-bit input and output (int8_full).', tflite_export.QUANTIZATIONS),
    Flag('enum', 'tflite_input', 'float', 'tflite: preprocessed float images, or uint8 RGB '
         'pixels after the eval crop and resize (the normalisation inside the model).',
         tuple(exporting.TFLITE_INPUTS)),
    Flag('enum', 'tflite_io', 'uint8', 'tflite --quantize=int8_full: the input and output '
         'type.', tuple(tflite_export.IO_TYPES)),
    Flag('boolean', 'edgetpu', False, 'tflite: --quantize=int8_full, checked against the Edge '
         'TPU compiler\'s requirements (then run edgetpu_compiler model.tflite).'),
    Flag('string', 'calibration_dataset', None, 'int8 and int8_full: the dataset whose images '
         'calibrate the activation ranges (default: --dataset_name, the run\'s).'),
    Flag('string', 'calibration_split', None, 'The calibration split (default: train).'),
    Flag('integer', 'calibration_steps', 300, 'Calibration batches of --batch_size (1 unless '
         'given) images.'),
)

PREDICT = (
    Flag('string', 'saved_model', None, 'Classify with this SavedModel (export.py\'s) instead of '
         '--checkpoint_path.'),
    Flag('string', 'output', None, 'Write the predictions to this .csv or .json file instead of '
         'printing them.'),
)

AVERAGE = (
    Flag('string', 'checkpoint_path', None, 'The training run (train_dir) whose checkpoints are '
         'averaged.'),
    Flag('integer', 'last', None, 'Average its newest this many checkpoints.'),
    Flag('string', 'output', None, 'The checkpoint prefix to write, e.g. '
         'runs/resnet_v1_50/averaged/model.ckpt.'),
    Flag('boolean', 'overwrite', False, 'Replace an existing --output.'),
)

EXPORTED = (
    Flag('string', 'model_file', None, 'eval.py and predict.py: an exported model instead of '
         '--checkpoint_path: a .tflite or .onnx file or a SavedModel directory (export.py\'s; '
         'the config.yaml beside it names the model and dataset).'),
)

# Lower bounds of integer flags; a value below is refused by name.
MINIMUM = {'batch_size': 1, 'max_number_of_steps': 1, 'log_every_n_steps': 1,
           'keep_checkpoint_max': 1, 'top_k': 1, 'max_num_batches': 1, 'train_image_size': 1,
           'eval_image_size': 1, 'image_size': 1, 'num_classes': 1,
           'gradient_accumulation_steps': 1}


def check_bounds(config):
  """Refuses integer values below their MINIMUM; returns `config`."""
  for key, least in MINIMUM.items():
    value = config.get(key)
    if value is not None and value < least:
      extra = ' (examples per replica: each replica needs one)' if key == 'batch_size' else ''
      raise config_lib.ConfigError('--%s=%s: must be at least %d%s' % (key, value, least, extra))
  return config


TABLES = {'common': COMMON, 'train': TRAIN, 'eval': EVAL, 'serve': SERVE, 'export': EXPORT,
          'predict': PREDICT, 'exported': EXPORTED, 'average': AVERAGE}


def names(*tables):
  return [row.name for table in tables for row in table]


def defaults(*tables, **overrides):
  """The config of the flags' defaults with `overrides`, as `resolve` returns it
  without a command line: for running training or evaluation from Python."""
  config = {row.name: row.default for table in tables for row in table if row.name != 'config'}
  config['scope'] = {}
  unknown = sorted(set(overrides) - set(config))
  if unknown:
    raise config_lib.ConfigError('unknown keys %s; valid keys: %s' % (
        ', '.join(unknown), ', '.join(sorted(config))))
  config = config_lib.choose_alternatives(config, overrides, 'flags.defaults()', config)
  config.update(overrides)
  return check_bounds(config)


def define(*tables):
  for row in (row for table in tables for row in table):
    if row.kind == 'enum':
      flags.DEFINE_enum(row.name, row.default, row.values, row.help)
    else:
      getattr(flags, 'DEFINE_' + row.kind)(row.name, row.default, row.help)
  if 'model_name' in names(*tables):
    flags.DEFINE_alias('model', 'model_name')


def resolve(tables, other_tables=(), base=None):
  """The config of the flags in `tables`; recipe keys of `other_tables` are ignored.
  `base` (a training run's config) lies between the defaults and the recipe."""
  values = flags.FLAGS
  keys = [n for n in names(*tables) if n != 'config']
  path = values['config'].value
  recipe = config_lib.load_yaml(path) if path else {}
  ignored = set(names(*other_tables)) - set(keys)
  recipe = {k: v for k, v in recipe.items() if k not in ignored}
  if base:
    scope = dict(base.get('scope') or {}, **(recipe.get('scope') or {}))
    recipe = dict({k: v for k, v in base.items() if k in keys},
                  **{k: v for k, v in recipe.items() if k != 'scope'}, scope=scope)
  defaults = {n: values[n].default for n in keys}
  overrides = {n: values[n].value for n in keys if values[n].present}
  parsers = {n: values[n].parser.parse for n in keys}
  return check_bounds(config_lib.resolve(defaults, recipe, overrides,
                                         recipe_name=path or '--config', parsers=parsers))
