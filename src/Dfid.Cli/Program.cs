using Dfid.Cli;

return await DfidApp.RunAsync(args);
