using Dfid.Models;

namespace Dfid.Running;

/// <summary>Builds the model host and component factory for an experiment: the one place the run's layers are composed.</summary>
public static class RunServices
{
    /// <summary>File name of the response cache inside the cache folder.</summary>
    public const string ResponseCacheFile = "responses.sqlite";

    /// <summary>Creates the model host (cache, concurrency, budget from the experiment and overrides) and the factory over it.</summary>
    /// <param name="experiment">The experiment.</param>
    /// <param name="settings">Command-line overrides.</param>
    /// <param name="layerOptions">Further tuning of the model layer (retries, timeouts), applied last.</param>
    /// <param name="log">Notes for the user (training, loading).</param>
    public static RunComponentFactory CreateFactory(Experiment experiment, RunSettings settings, Action<ModelLayerOptions>? layerOptions = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(settings);
        var options = new ModelLayerOptions
        {
            CachePath = settings.NoCache || !experiment.Cache.Enabled ? null : Path.Combine(settings.ResolveCacheFolder(experiment), ResponseCacheFile),
            MaxConcurrency = settings.Concurrency ?? experiment.Concurrency,
            MaxCostUsd = experiment.Budget.MaxCostUsd is { } c ? (decimal)c : null,
            MaxCalls = experiment.Budget.MaxCalls is { } k ? (int)Math.Min(k, int.MaxValue) : null,
        };
        layerOptions?.Invoke(options);
        if (options.CachePath is { } path) Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var host = new ModelHost(options);
        var factory = RunComponentFactory.ForHost(host);
        factory.CacheFolder = settings.ResolveCacheFolder(experiment);
        factory.Log = log;
        return InstrumentComponents.Attach(factory);
    }
}
