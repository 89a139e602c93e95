import OutboxCLI
import OutboxModel

/// The `outbox` operator CLI. Everything lives in OutboxCLI; see `outbox --help`. An `@main`
/// type, not top-level code, so that ArgumentParser's asynchronous entry point runs the commands.
@main
enum OutboxMain {
    static func main() async {
        // A closed stdout or stderr gets /dev/null before anything opens a descriptor, so the
        // database or a PostgreSQL socket never takes its number and receives the output.
        LineWriter.guardStandardDescriptors()
        await OutboxRoot.main(nil)
    }
}
