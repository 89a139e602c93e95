import OutboxCLI

/// The `outbox` operator CLI. Everything lives in OutboxCLI; see `outbox --help`. An `@main`
/// type, not top-level code, so that ArgumentParser's asynchronous entry point runs the commands.
@main
enum OutboxMain {
    static func main() async { await OutboxRoot.main(nil) }
}
