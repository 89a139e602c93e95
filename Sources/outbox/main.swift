import OutboxCLI

// The `outbox` operator CLI. Everything lives in OutboxCLI; see `outbox --help`.
OutboxRoot.main()
