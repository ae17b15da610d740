
# NOTE: the services run on oslo.service's threading backend; choose it
# before any test imports oslo.messaging, which would pick the eventlet
# default and make importing convection.cmd fail.
from oslo_service import backend

backend.init_backend(backend.BackendType.THREADING)
