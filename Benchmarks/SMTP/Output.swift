@preconcurrency import Glibc

/// Line-buffers standard output, so each JSON line is written out at once even into a pipe.
func lineBufferStandardOutput() {
    setvbuf(stdout, nil, _IOLBF, 0)
}
