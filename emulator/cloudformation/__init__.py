"""The emulator's CloudFormation: read a SAM template (``reader``), evaluate its intrinsic
functions (``intrinsics``) and create its resources in moto and the emulator (``provision``)."""
