@preconcurrency import Glibc
import QueueMailerCore

import class Foundation.ProcessInfo

// Line-buffered output, so nothing printed is lost when the process is stopped.
setvbuf(stdout, nil, _IOLBF, 0)
let code = await MailerApp.main(
    arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
exit(code)
