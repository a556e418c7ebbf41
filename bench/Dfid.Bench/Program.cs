using System.Reflection;
using BenchmarkDotNet.Running;
using Dfid.Bench;

// `dotnet run -c Release --project bench/Dfid.Bench -- NAME [args]` runs the timed end-to-end harness NAME;
// anything else goes to BenchmarkDotNet's switcher (e.g. `-- --filter '*Permutation*'`).
var harnesses = Assembly.GetExecutingAssembly().GetTypes()
    .Where(t => typeof(IHarness).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IHarness)Activator.CreateInstance(t)!)
    .ToDictionary(h => h.Name, StringComparer.OrdinalIgnoreCase);
if (args.Length > 0 && harnesses.TryGetValue(args[0], out var harness))
    return await harness.RunAsync(args[1..]);
if (args.Length == 0)
{
    Console.WriteLine("harnesses: " + string.Join(", ", harnesses.Keys.Order()));
    Console.WriteLine("or BenchmarkDotNet: -- --filter '*'");
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(IHarness).Assembly).Run(args);
return 0;
