# The release's one version: the firmware reports it in HELLO, `pendant
# install` checks it, and the host package (pendant.__version__, the wheel's
# metadata via pyproject.toml) takes it from here.
VERSION = "0.3.0"
