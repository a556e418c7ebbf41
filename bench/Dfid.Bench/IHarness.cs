namespace Dfid.Bench;

/// <summary>A timed end-to-end measurement, run by name: <c>dotnet run -c Release --project bench/Dfid.Bench -- NAME</c>.</summary>
public interface IHarness
{
    /// <summary>Name given on the command line.</summary>
    string Name { get; }

    /// <summary>Runs the measurement and prints its figures; returns the exit code (non-zero when a target is missed).</summary>
    Task<int> RunAsync(string[] args);
}
