import Foundation

// Not yet: the queue-mailer's commands (migrate, enqueue, run, status, requeue) arrive with its issue.
FileHandle.standardError.write(Data("queue-mailer: not built yet; see Docs/queue-mailer.md\n".utf8))
exit(2)
