# Lets the host import the firmware's contract modules as pendant.firmware.*.
# Not copied to the pendant.
