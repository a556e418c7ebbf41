using System.Globalization;
using Dfid.Running;
using Spectre.Console;

namespace Dfid.Cli.Commands;

/// <summary>Shows a run's progress on stderr: a live Spectre display on a terminal, plain periodic lines otherwise.</summary>
internal static class RunProgressView
{
    /// <summary>Seconds between plain progress lines (DFID_PROGRESS_SECONDS overrides; tests use small values).</summary>
    private static TimeSpan PlainInterval =>
        double.TryParse(Environment.GetEnvironmentVariable("DFID_PROGRESS_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0
            ? TimeSpan.FromSeconds(s) : TimeSpan.FromSeconds(5);

    public static async Task<T> ShowAsync<T>(Func<Action<IRunProgressSource>, Task<T>> run, bool quiet)
    {
        IRunProgressSource? runner = null;
        var task = run(r => Volatile.Write(ref runner, r));
        if (quiet) return await task;
        if (Console.IsErrorRedirected)
        {
            while (!task.IsCompleted)
            {
                await Task.WhenAny(task, Task.Delay(PlainInterval));
                if (Volatile.Read(ref runner) is { } r) Console.Error.WriteLine(Line(r.Progress));
            }
            return await task;
        }
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        await err.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var bars = new Dictionary<string, ProgressTask>();
                ProgressTask? status = null;
                while (true)
                {
                    var done = task.IsCompleted;
                    if (Volatile.Read(ref runner) is { } r)
                    {
                        var p = r.Progress;
                        foreach (var c in p.Conditions)
                        {
                            if (!bars.TryGetValue(c.Name, out var bar)) bars[c.Name] = bar = ctx.AddTask(Markup.Escape(c.Name), maxValue: Math.Max(1, c.Total));
                            bar.Value = c.Done;
                            bar.Description = Markup.Escape($"{c.Name} {c.Done}/{c.Total}");
                        }
                        status ??= ctx.AddTask("", maxValue: 1);
                        status.Description = Markup.Escape(Counters(p));
                        var total = p.ProbesTotal + p.RolloutsTotal;
                        status.Value = total == 0 ? 1 : (double)(p.ProbesDone + p.RolloutsDone) / total;
                    }
                    if (done) break;
                    await Task.WhenAny(task, Task.Delay(250));
                }
            });
        return await task;
    }

    public static string Line(RunProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"progress: probes {p.ProbesDone}/{p.ProbesTotal}{(p.RolloutsTotal > 0 ? $", rollouts {p.RolloutsDone}/{p.RolloutsTotal}" : "")} ({string.Join(", ", p.Conditions.Select(c => $"{c.Name} {c.Done}/{c.Total}"))}) · {Counters(p)}");

    private static string Counters(RunProgress p)
    {
        var cost = p.CostUsd is { } c ? "$" + c.ToString("0.####", CultureInfo.InvariantCulture) : "unknown";
        var eta = p.Eta is { } e ? " · ETA " + Hms(e) : "";
        var cached = p.CachedPromptTokens > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({p.CachedPromptTokens} prompt cached)") : "";
        var batches = p.Batches is { } b
            ? string.Create(CultureInfo.InvariantCulture,
                $"batch {b.Phase} round {b.Round}: {b.Batches} batches ({b.Waiting} waiting), requests {b.Submitted} submitted / {b.Completed} completed / {b.Failed} failed · ")
            : "";
        var price = p.Batches is not null ? " (batch price)" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{batches}calls {p.Calls} · cache hits {p.CacheHits} · failures {p.Failures} · tokens {p.Tokens}{cached} · cost {cost}{price} · elapsed {Hms(p.Elapsed)}{eta}");
    }

    private static string Hms(TimeSpan t) => t.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);
}
