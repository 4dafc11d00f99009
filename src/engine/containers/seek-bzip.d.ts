/** The part of seek-bzip 2 (no types of its own) that the bzip2 decoder uses. */
declare module 'seek-bzip' {
  interface InputStream {
    readByte(): number;
    read(buf: Uint8Array, at: number, n: number): number;
    seek(pos: number): void;
    eof(): boolean;
  }
  interface OutputStream {
    writeByte(b: number): void;
  }
  const Bunzip: {
    decode(input: InputStream, output: OutputStream, multistream?: boolean): void;
  };
  export default Bunzip;
}
