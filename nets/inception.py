"""The Inception family in one import, as TF-Slim's `nets.inception`."""

# pylint: disable=unused-import
from nets.inception_resnet_v2 import inception_resnet_v2  # noqa: F401
from nets.inception_resnet_v2 import inception_resnet_v2_arg_scope  # noqa: F401
from nets.inception_resnet_v2 import inception_resnet_v2_base  # noqa: F401
from nets.inception_utils import inception_arg_scope  # noqa: F401
from nets.inception_v1 import inception_v1  # noqa: F401
from nets.inception_v1 import inception_v1_arg_scope  # noqa: F401
from nets.inception_v1 import inception_v1_base  # noqa: F401
from nets.inception_v2 import inception_v2  # noqa: F401
from nets.inception_v2 import inception_v2_arg_scope  # noqa: F401
from nets.inception_v2 import inception_v2_base  # noqa: F401
from nets.inception_v3 import inception_v3  # noqa: F401
from nets.inception_v3 import inception_v3_arg_scope  # noqa: F401
from nets.inception_v3 import inception_v3_base  # noqa: F401
from nets.inception_v4 import inception_v4  # noqa: F401
from nets.inception_v4 import inception_v4_arg_scope  # noqa: F401
from nets.inception_v4 import inception_v4_base  # noqa: F401
