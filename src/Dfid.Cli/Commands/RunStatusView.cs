using System.Globalization;
using Dfid.Running;
using Spectre.Console;

namespace Dfid.Cli.Commands;

/// <summary>Prints <c>dfid run --status RUN</c>: one row per provider batch, then the totals.</summary>
internal static class RunStatusView
{
    public static int Show(IAnsiConsole console, RunBatchStatus status)
    {
        var w = console.Profile.Out.Writer;
        var inv = CultureInfo.InvariantCulture;
        w.WriteLine($"run {status.RunDir}" + (status.Shard is { } s ? $" (shard {s})" : "") + (status.Execution is { } e ? $", execution {e}" : "")
            + (status.Probes is { } n ? string.Create(inv, $", {n} probes") : ""));
        if (status.Batches.Count == 0)
        {
            w.WriteLine("no provider batches (the run has not used batch execution yet)");
            return 0;
        }
        w.WriteLine("batch\tmodel\tphase\tround\tstate\tsubmitted\tcompleted\tfailed\tresults\tsubmitted_at\tlast_polled");
        foreach (var b in status.Batches)
        {
            var line = string.Create(inv,
                $"{b.Id}\t{b.Model}\t{b.Phase}\t{b.Round}\t{b.State}\t{b.Submitted}\t{b.Completed}\t{b.Failed}\t{(b.Read ? "stored" : "not read")}\t{b.SubmittedAt}\t{b.PolledAt ?? "-"}");
            w.WriteLine(b.Error is { } err ? line + "\t" + err : line);
        }
        if (status.Totals is { } t)
        {
            var cost = t.CostUsd is { } c ? "$" + c.ToString("0.####", inv) : "unknown";
            w.WriteLine(string.Create(inv,
                $"total: {t.Batches} batches, {t.Requests} requests: {t.Answered} answered, {t.Failed} failed, {t.Pending} not read yet; tokens {t.PromptTokens} in ({t.CachedPromptTokens} cached) / {t.CompletionTokens} out; cost {cost} at the batch price"));
        }
        var waiting = status.Batches.Count(b => !b.Read);
        if (waiting > 0)
            w.WriteLine(string.Create(inv, $"{waiting} batch(es) not read yet: run the same `dfid run` command to wait for them (nothing is submitted twice)"));
        return 0;
    }
}
