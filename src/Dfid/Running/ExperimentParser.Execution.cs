using YamlDotNet.RepresentationModel;

namespace Dfid.Running;

public static partial class ExperimentParser
{
    private static readonly string[] ExecutionKeys = ["mode", "max_requests", "poll_seconds"];

    /// <summary>
    /// <c>execution: online</c> (the default), <c>execution: batch</c>, or a mapping
    /// <c>{ mode: batch, max_requests: N, poll_seconds: S }</c>.
    /// </summary>
    private static ExecutionSpec ReadExecution(Reader r, YamlNode node)
    {
        if (node is YamlScalarNode scalar) return new ExecutionSpec(Mode(scalar, "execution"));
        var m = r.Map(node, "execution");
        r.CheckKeys(m, "execution", ExecutionKeys);
        var modeNode = r.RequiredNode(m, "mode", "execution");
        var mode = Mode(modeNode, "execution.mode");
        int? maxRequests = r.Get(m, "max_requests") is { } mr ? r.Int(mr, "execution.max_requests", 1) : null;
        double? poll = null;
        if (r.Get(m, "poll_seconds") is { } ps)
        {
            poll = r.Double(ps, "execution.poll_seconds");
            if (!(poll > 0)) throw r.Error(ps, "execution.poll_seconds", $"{poll} is not a positive number of seconds");
        }
        if (mode == ExecutionKind.Online && (maxRequests is not null || poll is not null))
            throw r.Error(m, "execution", "max_requests and poll_seconds apply to batch execution only (mode: batch)");
        return new ExecutionSpec(mode, maxRequests, poll);

        ExecutionKind Mode(YamlNode n, string key) => r.Scalar(n, key) switch
        {
            "online" => ExecutionKind.Online,
            "batch" => ExecutionKind.Batch,
            var other => throw r.Error(n, key, $"unknown execution mode '{other}' (expected online or batch)"),
        };
    }
}
