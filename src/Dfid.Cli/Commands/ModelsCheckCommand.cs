using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dfid.Models;
using Microsoft.Extensions.AI;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid models check SPEC</c>: one small request and one JSON-schema request; latency, tokens, schema mode, errors.</summary>
internal sealed class ModelsCheckCommand(IAnsiConsole console) : AsyncCommand<ModelsCheckCommand.Settings>
{
    private static readonly JsonElement CheckSchema = JsonDocument.Parse("""
        {"type":"object","properties":{"answer":{"type":"string","enum":["yes","no"]},"confidence":{"type":"number","minimum":0,"maximum":1}},
         "required":["answer","confidence"],"additionalProperties":false}
        """).RootElement.Clone();

    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<SPEC>")]
        [Description("Model spec, e.g. openai:gpt-4o-mini, openai:MODEL@http://127.0.0.1:8080/v1, anthropic:MODEL, gguf:PATH|NAME.")]
        public string Spec { get; init; } = "";

        [CommandOption("--json")]
        [Description("Print the result as JSON on stdout.")]
        public bool Json { get; init; }

        [CommandOption("--timeout <SECONDS>")]
        [Description("Timeout of each request (default 60).")]
        public double TimeoutSeconds { get; init; } = 60;

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Spec)) return ValidationResult.Error("give a model spec, e.g. openai:gpt-4o-mini");
            return TimeoutSeconds > 0 ? ValidationResult.Success() : ValidationResult.Error("--timeout must be positive");
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var spec = ModelSpec.Parse(settings.Spec);
        using var host = new ModelHost(new ModelLayerOptions { MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(500), RequestTimeout = TimeSpan.FromSeconds(settings.TimeoutSeconds) });
        var client = host.GetClient(spec);

        var text = new JsonObject { ["ok"] = false };
        var sw = Stopwatch.StartNew();
        try
        {
            var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Reply with the single word: ok")],
                new ChatOptions { MaxOutputTokens = 16 }, cancellationToken);
            var call = ModelCall.FromResponse(response);
            text = new JsonObject
            {
                ["ok"] = true,
                ["latency_ms"] = Math.Round(call?.LatencyMs ?? sw.Elapsed.TotalMilliseconds, 1),
                ["prompt_tokens"] = call?.PromptTokens,
                ["completion_tokens"] = call?.CompletionTokens,
                ["finish_reason"] = response.FinishReason?.Value,
                ["answer"] = Trim(response.Text),
            };
        }
        catch (ModelCallException ex)
        {
            text["error"] = ex.Message;
            text["failure"] = ex.Kind.ToString();
        }

        var json = new JsonObject { ["ok"] = false };
        sw.Restart();
        var answer = await client.GetJsonAsync(
            [new ChatMessage(ChatRole.User, "Is the sky blue on a clear day? Answer with yes or no and your confidence.")],
            CheckSchema, "check_answer", new ChatOptions { MaxOutputTokens = 64 }, cancellationToken);
        json = new JsonObject
        {
            ["ok"] = answer.IsSuccess,
            ["mode"] = answer.Mode.ToString().ToLowerInvariant(),
            ["schema_mode_works"] = answer.IsSuccess && answer.Mode == JsonMode.Schema && answer.Attempts == 1,
            ["attempts"] = answer.Attempts,
            ["latency_ms"] = Math.Round(answer.Call?.LatencyMs ?? sw.Elapsed.TotalMilliseconds, 1),
            ["value"] = answer.Value is { } v ? JsonNode.Parse(v.GetRawText()) : null,
            ["failure"] = answer.FailureName,
            ["error"] = answer.Error,
            ["raw"] = answer.IsSuccess ? null : Trim(answer.RawText ?? ""),
        };

        var ok = text["ok"]!.GetValue<bool>() && json["ok"]!.GetValue<bool>();
        var usage = host.Usage.Snapshot();
        if (settings.Json)
        {
            var result = new JsonObject
            {
                ["spec"] = spec.ToString(),
                ["model"] = spec.Id,
                ["ok"] = ok,
                ["text"] = text,
                ["json"] = json,
                ["cost"] = usage.CostUsd is { } c ? c : null,
                ["cost_text"] = usage.CostText,
            };
            console.Profile.Out.Writer.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return ok ? 0 : 1;
        }

        var table = new Table().AddColumns("check", "result");
        table.AddRow("model", Markup.Escape(spec.Id));
        table.AddRow("text", text["ok"]!.GetValue<bool>()
            ? Markup.Escape($"ok — {text["latency_ms"]} ms, {text["prompt_tokens"]?.ToString() ?? "?"} in / {text["completion_tokens"]?.ToString() ?? "?"} out, answered \"{text["answer"]}\"")
            : "[red]failed[/] " + Markup.Escape(text["error"]?.ToString() ?? ""));
        table.AddRow("json", answer.IsSuccess
            ? Markup.Escape($"ok — {answer.Mode.ToString().ToLowerInvariant()} mode, {answer.Attempts} attempt(s), {json["latency_ms"]} ms: {json["value"]?.ToJsonString()}")
            : "[red]failed[/] " + Markup.Escape($"{answer.FailureName}: {answer.Error}"));
        table.AddRow("schema mode", json["schema_mode_works"]!.GetValue<bool>() ? "works" : "[yellow]not used or not working[/] (answers are still validated; instructions are used instead)");
        table.AddRow("cost", Markup.Escape(usage.CostText));
        console.Write(table);
        return ok ? 0 : 1;
    }

    private static string Trim(string s)
    {
        s = s.ReplaceLineEndings(" ").Trim();
        return s.Length > 200 ? s[..200] + "…" : s;
    }
}
