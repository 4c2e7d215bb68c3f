"""Result of one ansible-playbook or ansible run, as the integration tests see it."""

import json

_TAIL = 6000


class Run:
    """One finished ansible-playbook/ansible run.

    rc, stdout, stderr, command   the process as it ran
    stats                         {host: {ok, changed, failed, unreachable, skipped, rescued, ignored}}
                                  (the PLAY RECAP: "ok" counts changed tasks too)
    all_results                   [{play, task, name, role, action, handler, host, status, ignored,
                                  result}] in the order results arrived; status is one of ok, changed,
                                  failed, skipped, unreachable; result is the task's result dict
                                  with "changed" and "failed" always present (bools)
    results(task_name)            {host: result dict} of that task (the last one per host when the
                                  name repeats); KeyError naming the tasks that ran when none matches
    str(run)                      command, rc and the tails of stdout/stderr: use it as assert message
    """

    def __init__(self, command, rc, stdout, stderr, results_file=None, workdir=None):
        self.command = command
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.workdir = workdir
        self.all_results = []
        recap = None
        if results_file:
            try:
                with open(results_file) as handle:
                    lines = handle.read().splitlines()
            except OSError:
                lines = []
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash
                if record.get("event") == "result":
                    record.pop("event")
                    self.all_results.append(record)
                elif record.get("event") == "stats":
                    recap = record["stats"]
        self.stats = recap if recap is not None else self._count()

    def _count(self):
        """Recap from the results when ansible stopped before printing one."""
        stats = {}
        for record in self.all_results:
            host = stats.setdefault(record["host"], dict.fromkeys(
                ("ok", "changed", "failed", "unreachable", "skipped", "rescued", "ignored"), 0))
            status = record["status"]
            if status in ("ok", "changed"):
                host["ok"] += 1
                host["changed"] += status == "changed"
            elif status == "failed":
                host["ignored" if record.get("ignored") else "failed"] += 1
            else:
                host[status] += 1
        return stats

    def results(self, task_name):
        """{host: result} of the task called task_name: its full name ("role : name" for role
        tasks, as ansible prints it) or its own name."""
        found = {}
        for record in self.all_results:
            if task_name in (record["task"], record["name"]):
                found[record["host"]] = record["result"]
        if not found:
            names = sorted({r["task"] for r in self.all_results})
            raise KeyError("no task %r in this run; tasks that ran: %s" % (task_name, names))
        return found

    @property
    def task_names(self):
        """Names of the tasks that reported a result, in order, without repeats."""
        seen = []
        for record in self.all_results:
            if record["task"] not in seen:
                seen.append(record["task"])
        return seen

    def __str__(self):
        return "%s\nrc=%s (files in %s)\n--- stdout (tail) ---\n%s\n--- stderr (tail) ---\n%s" % (
            " ".join(self.command), self.rc, self.workdir,
            self.stdout[-_TAIL:], self.stderr[-_TAIL:])

    def __repr__(self):
        return "<Run rc=%s %s>" % (self.rc, " ".join(self.command[:3]))
