using System.ComponentModel;
using System.Globalization;
using System.Text.Json.Nodes;
using Dfid.Models;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid models pull NAME|URL</c>: download with resume and SHA-256 verification into the user cache folder.</summary>
internal sealed class ModelsPullCommand(IAnsiConsole console) : AsyncCommand<ModelsPullCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<NAME|URL>")]
        [Description("A named model (see 'dfid models list') or an http(s) URL of a .gguf file.")]
        public string Model { get; init; } = "";

        [CommandOption("--sha256 <HEX>")]
        [Description("Expected SHA-256; without it the list's pinned hash is used, or the hash is recorded at the first download.")]
        public string? Sha256 { get; init; }

        [CommandOption("--dir <FOLDER>")]
        [Description("Models folder (default: $DFID_CACHE_DIR/models, $XDG_CACHE_HOME/dfid/models or ~/.cache/dfid/models).")]
        public string? Directory { get; init; }

        [CommandOption("--json")]
        [Description("Print the result as JSON on stdout.")]
        public bool Json { get; init; }

        public override ValidationResult Validate()
        {
            if (Sha256 is { } h && (h.Length != 64 || !h.All(Uri.IsHexDigit)))
                return ValidationResult.Error("--sha256 must be 64 hex digits");
            return string.IsNullOrWhiteSpace(Model) ? ValidationResult.Error("give a model name or URL") : ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var dir = settings.Directory ?? GgufModels.ModelsDirectory(Environment.GetEnvironmentVariable);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var puller = new ModelPuller(http, dir);
        var bar = new StderrProgressBar(settings.Model);
        var result = await puller.PullAsync(settings.Model, settings.Sha256, bar, cancellationToken);
        bar.Done();
        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(new JsonObject
            {
                ["path"] = result.Path,
                ["sha256"] = result.Sha256,
                ["bytes"] = result.Bytes,
                ["already_present"] = result.AlreadyPresent,
                ["resumed_from"] = result.ResumedFrom,
                ["hash"] = result.HashPinned ? "pinned" : "recorded",
            }.ToJsonString());
            return 0;
        }
        console.MarkupLine(Markup.Escape(result.AlreadyPresent
            ? $"{result.Path} is already downloaded (SHA-256 {result.Sha256} verified)."
            : $"downloaded {result.Path} ({result.Bytes:N0} bytes{(result.ResumedFrom > 0 ? $", resumed at {result.ResumedFrom:N0}" : "")}); SHA-256 {result.Sha256} {(result.HashPinned ? "matches the pinned hash" : "recorded for later checks")}."));
        if (GgufModels.Named.ContainsKey(settings.Model))
            console.MarkupLine(Markup.Escape($"use it with --model gguf:{settings.Model}"));
        return 0;
    }

    /// <summary>A progress bar on stderr (redrawn in place on a terminal, a line per 10% otherwise) so stdout stays clean.</summary>
    private sealed class StderrProgressBar(string label) : IProgress<(long Done, long? Total)>
    {
        private readonly bool _terminal = !Console.IsErrorRedirected;
        // A progress display's own clock: elapsed time only, never a date.
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private int _lastTenth = -1;
        private TimeSpan _lastDraw = TimeSpan.MinValue;

        public void Report((long Done, long? Total) value)
        {
            var (done, total) = value;
            var mb = done / 1048576.0;
            var rate = mb / Math.Max(0.001, _clock.Elapsed.TotalSeconds);
            if (_terminal)
            {
                if ((_clock.Elapsed - _lastDraw).TotalMilliseconds < 100 && done != total) return;
                _lastDraw = _clock.Elapsed;
                var line = total is { } t && t > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"\r{label} [{new string('#', (int)(30 * done / t)).PadRight(30, '.')}] {100.0 * done / t,5:0.0}% {mb:0.0}/{t / 1048576.0:0.0} MB {rate:0.0} MB/s ")
                    : string.Create(CultureInfo.InvariantCulture, $"\r{label} {mb:0.0} MB {rate:0.0} MB/s ");
                Console.Error.Write(line);
            }
            else if (total is { } t && t > 0 && (int)(10 * done / t) is var tenth && tenth != _lastTenth)
            {
                _lastTenth = tenth;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: {10 * tenth}% ({mb:0.0} MB)"));
            }
        }

        public void Done()
        {
            if (_terminal) Console.Error.WriteLine();
        }
    }
}
