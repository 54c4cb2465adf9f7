// The TetherRetry module; its types arrive with its issue (see Docs/architecture.md).
