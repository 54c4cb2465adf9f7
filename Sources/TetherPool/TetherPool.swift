// The TetherPool module; its types arrive with its issue (see Docs/architecture.md).
