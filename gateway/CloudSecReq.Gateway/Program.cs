using CloudSecReq.Gateway.Cli;

return await CsrCommandLine.Build().Parse(args).InvokeAsync();
