using Dfid.Running;

namespace Dfid.Tests.Running;

/// <summary>The experiment's <c>execution</c> key and the <c>--batch</c> override.</summary>
public class ExecutionParserTests
{
    private static readonly string Dir = TestData.TempDir();

    private static Experiment Parse(string execution)
    {
        var dir = Dir;
        File.WriteAllText(Path.Combine(dir, "c.jsonl"), "");
        var text = $$"""
            corpus: c.jsonl
            simulators:
              replay: { kind: replay }
            instruments:
              judge: { kind: llm, model: "openai:gpt-4o-mini" }
            conditions:
              - { simulator: replay, instrument: judge }
            {{execution}}
            """;
        return ExperimentParser.Parse(text, Path.Combine(dir, "exp.yaml"));
    }

    [Fact]
    public void Execution_DefaultsToOnline()
    {
        Assert.Equal(ExecutionSpec.Online, Parse("").Execution);
        Assert.Equal(ExecutionKind.Online, Parse("execution: online").Execution.Mode);
    }

    [Fact]
    public void Execution_BatchScalarAndMapping()
    {
        Assert.Equal(ExecutionSpec.Batch, Parse("execution: batch").Execution);
        Assert.Equal(new ExecutionSpec(ExecutionKind.Batch, 5000, 30), Parse("execution: { mode: batch, max_requests: 5000, poll_seconds: 30 }").Execution);
    }

    [Theory]
    [InlineData("execution: offline", "exp.yaml:8: execution: unknown execution mode 'offline' (expected online or batch)")]
    [InlineData("execution: { mode: batched }", "exp.yaml:8: execution.mode: unknown execution mode 'batched' (expected online or batch)")]
    [InlineData("execution: { max_requests: 5 }", "exp.yaml:8: execution.mode: missing")]
    [InlineData("execution: { mode: batch, max_requests: 0 }", "exp.yaml:8: execution.max_requests: 0 is too small (at least 1)")]
    [InlineData("execution: { mode: batch, poll_seconds: 0 }", "exp.yaml:8: execution.poll_seconds: 0 is not a positive number of seconds")]
    [InlineData("execution: { mode: batch, window: 24h }", "exp.yaml:8: execution.window: unknown key (expected one of mode, max_requests, poll_seconds)")]
    [InlineData("execution: { mode: online, max_requests: 5 }", "exp.yaml:8: execution: max_requests and poll_seconds apply to batch execution only")]
    public void Execution_Invalid_NamesFileLineAndFix(string execution, string expected)
    {
        var ex = Assert.Throws<DfidException>(() => Parse(execution));
        Assert.Equal(2, ex.ExitCode);
        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchFlag_TurnsTheExperimentsExecutionToBatch_KeepingItsOptions()
    {
        var e = Parse("");
        Assert.Equal(ExecutionSpec.Batch, new RunSettings("out") { Batch = true }.ResolveExecution(e));
        Assert.Equal(ExecutionSpec.Online, new RunSettings("out").ResolveExecution(e));
        var tuned = Parse("execution: { mode: batch, max_requests: 7 }");
        Assert.Equal(7, new RunSettings("out") { Batch = true }.ResolveExecution(tuned).MaxRequests);
    }

    [Fact]
    public void Execution_IsNotPartOfTheIdentity()
    {
        Assert.Equal(RunPipeline.Identity(Parse("")), RunPipeline.Identity(Parse("execution: batch")));
    }
}
