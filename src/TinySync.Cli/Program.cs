using TinySync.Cli;

return await CliApp.RunAsync(args);
