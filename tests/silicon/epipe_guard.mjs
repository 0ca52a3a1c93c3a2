// Preloaded into rp2emu's run.mjs (NODE_OPTIONS=--import, tests/silicon/emu.py).
// run.mjs writes the board's USB output to stdout with no 'error' handler:
// when socat goes (the plug pulled) while the pendant is sending, the write
// raises EPIPE, node dies of it and never saves the flash (--save-fs). With
// the error heard here, node runs on to stdin's end and saves, as it does
// when the pendant is quiet.
process.stdout.on('error', () => {});
