declare module '*.css' {
  /** A style sheet's text (esbuild's text loader): added with addStyle, under the CSP's nonce. */
  const text: string;
  export default text;
}
