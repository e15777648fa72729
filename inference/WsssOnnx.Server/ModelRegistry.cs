namespace WsssOnnx.Server;
